//! `pacta contact`, `ping`, `consult`, `case`, `precedent` and the joint measures of
//! `respond` through the real binary: the commands a secretariat and states type, and the
//! refusals they get.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pacta(db: &str, actor: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pacta"))
        .arg("--db")
        .arg(db)
        .arg("--as")
        .arg(actor)
        .args(args)
        .current_dir(repo())
        .env_remove("PACTA_DB")
        .env_remove("PACTA_ACTOR")
        .output()
        .expect("the pacta binary runs")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn refused(out: &Output) -> String {
    assert!(!out.status.success(), "should have been refused: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}

/// A registry in `dir` holding the EuRepoC sample, with a custody key registered for each
/// of `parties` (which registers the party); returns its URL.
fn registry(dir: &Path, parties: &[&str]) -> String {
    let db = format!("sqlite://{}", dir.join("registry.db").display());
    ok(&pacta(&db, "org:secretariat", &["import", "eurepoc", "data/eurepoc-1.1-even"]));
    for p in parties {
        let key = dir.join(format!("{}.key", p.replace(':', "_")));
        ok(&pacta(&db, p, &["evidence", "keygen", "--out", key.to_str().unwrap(), p]));
        ok(&pacta(&db, p, &["evidence", "register-key", "--key", key.to_str().unwrap()]));
    }
    db
}

#[test]
fn two_states_and_the_secretariat_use_the_forum_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = registry(dir.path(), &["state:FR", "state:RU", "org:secretariat"]);
    let db = db.as_str();

    // Russia names its CERT; the secretariat checks it; Russia acknowledges.
    ok(&pacta(db, "state:RU", &["contact", "add", "--role", "technical", "--name", "NCCCI", "--channel", "email:ncc@example.ru"]));
    let bad = refused(&pacta(db, "state:RU", &["contact", "add", "--role", "technical", "--name", "x", "--channel", "pigeon"]));
    assert!(bad.contains("expected KIND:ADDRESS"), "{bad}");
    let contacts = json(&pacta(db, "org:secretariat", &["contact", "list", "--json"]));
    let contact = contacts[0]["contact"]["id"].as_str().unwrap().to_string();
    let check = ok(&pacta(db, "org:secretariat", &["ping", "schedule", "--within", "1h"]));
    let ping = check.split_whitespace().nth(1).unwrap().to_string();
    let e = refused(&pacta(db, "state:FR", &["ping", "ack", &ping, "--contact", &contact]));
    assert!(e.contains("only state:RU acknowledges"), "{e}");
    ok(&pacta(db, "state:RU", &["ping", "ack", &ping, "--contact", &contact]));
    let report = json(&pacta(db, "org:secretariat", &["ping", "report", "--json"]));
    assert_eq!((report[0]["party"].as_str(), report[0]["on_time"].as_u64()), (Some("state:RU"), Some(1)));

    // France asks Russia to stop the activity against it (eurepoc:26 targets France);
    // Russia refuses, and says so on record. France cannot ask it about an incident that
    // injured Armenia alone: that call is Armenia's.
    let e = refused(&pacta(db, "state:FR", &["consult", "send", "request_to_stop", "--to", "state:RU", "--incident", "eurepoc:2", "--subject", "Stop the activity"]));
    assert!(e.contains("sent by a state it injured (AM)"), "{e}");
    let sent = ok(&pacta(db, "state:FR", &["consult", "send", "request_to_stop", "--to", "state:RU", "--incident", "eurepoc:26", "--subject", "Stop the activity", "--contact", &contact]));
    assert!(sent.contains("fact for the norms engine: prior_call_to_comply = yes"), "{sent}");
    let requests = json(&pacta(db, "state:FR", &["consult", "list", "--json"]));
    let request = requests[0]["consultation"]["request"]["id"].as_str().unwrap().to_string();
    let e = refused(&pacta(db, "state:FR", &["consult", "answer", &request, "--answer", "granted", "--text", "x"]));
    assert!(e.contains("only the recipient"), "{e}");
    let answered = ok(&pacta(db, "state:RU", &["consult", "answer", &request, "--answer", "refused", "--text", "Not from our territory."]));
    assert!(answered.contains("answered (refused)") && answered.contains("request_to_stop_unanswered = no"), "{answered}");

    // France files a case; Russia responds; mediation cannot open yet.
    let filed = ok(&pacta(db, "state:FR", &["case", "file", "--against", "state:RU", "--incident", "eurepoc:2", "--title", "France v. Russia", "--claim", "Russia let its territory be used."]));
    let case = filed.split_whitespace().nth(1).unwrap().to_string();
    assert!(filed.contains("response (state:RU): due"), "{filed}");
    let response = ok(&pacta(db, "state:RU", &["case", "submit", &case, "--kind", "response", "--text", "Denied."]));
    assert!(response.contains("case.filing: case") && response.contains("is in consultation"), "{response}");
    let e = refused(&pacta(db, "state:FR", &["case", "escalate", &case, "--to", "mediation", "--reason", "No progress."]));
    assert!(e.contains("consultation runs until"), "{e}");
    let e = refused(&pacta(db, "org:secretariat", &["case", "submit", &case, "--kind", "submission", "--text", "x"]));
    assert!(e.contains("a party acts only in cases it is part of"), "{e}");
    let shown = ok(&pacta(db, "state:RU", &["case", "show", &case]));
    assert!(shown.contains("response (state:RU): due") && shown.contains(", met "), "{shown}");

    // The roster, and an empty precedent search.
    ok(&pacta(db, "org:secretariat", &["case", "roster", "add", "--party", "org:arb-okafor", "--name", "Chidi Okafor", "--nationality", "NG", "--role", "arbitrator"]));
    assert!(ok(&pacta(db, "org:secretariat", &["case", "roster", "list"])).contains("Chidi Okafor"));
    assert_eq!(ok(&pacta(db, "org:secretariat", &["precedent", "search", "wiper"])).lines().count(), 1, "only the header: nothing decided yet");
}

#[test]
fn a_precedent_search_for_a_rule_that_does_not_exist_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let e = refused(&pacta(&db, "org:secretariat", &["precedent", "search", "wiper", "--rule", "tallinn.r4.sovereinty"]));
    assert!(e.contains("--rule") && e.contains("is not a rule"), "{e}");
    let e = refused(&pacta(&db, "org:secretariat", &["precedent", "search", "wiper", "--instrument", "talinn-2"]));
    assert!(e.contains("tallinn-2"), "names the instruments there are: {e}");
}

#[test]
fn a_state_invites_two_others_to_protest_with_it_one_joins_and_the_silent_one_is_uninvited() {
    let dir = tempfile::tempdir().unwrap();
    let db = registry(dir.path(), &["state:FR", "state:DE", "state:PL"]);
    let db = db.as_str();
    let proposed = ok(&pacta(db, "state:FR", &["respond", "propose", "eurepoc:26", "--rung", "private_protest", "--against", "RU", "--with", "state:DE", "--with", "state:PL"]));
    let measure = proposed.split_whitespace().find(|w| w.len() == 36 && w.matches('-').count() == 4).expect("the measure's id is printed").to_string();
    let joined = ok(&pacta(db, "state:DE", &["respond", "join", &measure, "--note", "Germany protests too."]));
    assert!(joined.contains("still invited, not answered: state:PL"), "{joined}");
    let e = refused(&pacta(db, "state:FR", &["respond", "notify", &measure]));
    assert!(e.contains("state:PL has not answered"), "{e}");

    // Only France withdraws its invitation, and says why.
    let e = refused(&pacta(db, "state:DE", &["respond", "uninvite", &measure, "--invitee", "PL", "--note", "x"]));
    assert!(e.contains("only state:FR, which invited it"), "{e}");
    let e = refused(&pacta(db, "state:FR", &["respond", "uninvite", &measure, "--invitee", "DE", "--note", "x"]));
    assert!(e.contains("standing: joined"), "{e}");
    let done = ok(&pacta(db, "state:FR", &["respond", "uninvite", &measure, "--invitee", "PL", "--note", "No answer in ten days."]));
    assert!(done.contains("withdrew its invitation to state:PL") && !done.contains("still invited"), "{done}");
    let e = refused(&pacta(db, "state:PL", &["respond", "join", &measure]));
    assert!(e.contains("withdrew its invitation to state:PL"), "{e}");
    let notified = ok(&pacta(db, "state:FR", &["respond", "notify", &measure]));

    // Later, France must show an arbitrator that it notified the measure, and when. The
    // entry is sealed (the measure is AMBER): a receipt proves it is in the log, and its
    // opening proves what it is, offline, against nothing but the log's key.
    let index = notified.rsplit("log entry ").next().unwrap().trim().trim_end_matches('.').to_string();
    let (receipt, opening) = (dir.path().join("receipt.txt"), dir.path().join("opening.json"));
    ok(&pacta(db, "org:secretariat", &["log", "prove", &index, "--out", receipt.to_str().unwrap()]));
    ok(&pacta(db, "org:secretariat", &["log", "opening", &index, "--out", opening.to_str().unwrap()]));
    let key = ok(&pacta(db, "org:secretariat", &["log", "key"])).trim().to_string();
    let verify = |opening: &Path| pacta(db, "org:secretariat", &["verify", "receipt", receipt.to_str().unwrap(), "--key", &key, "--opening", opening.to_str().unwrap()]);
    let said = ok(&verify(&opening));
    assert!(said.contains(&format!("OK: entry {index} (measure.notified by state:FR at ")) && said.contains("sealed TLP:AMBER"), "{said}");
    // An opening edited to say something else opens nothing.
    let text = std::fs::read_to_string(&opening).unwrap();
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, text.replace("state:FR", "state:DE")).unwrap();
    let e = refused(&verify(&forged));
    assert!(e.contains(&format!("the opening does not open entry {index}")), "{e}");
}
