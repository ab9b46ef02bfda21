//! `pacta assess` and `pacta eval`, run as a user would: the real binary, a throwaway
//! SQLite database, the bundled EuRepoC sample.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample() -> PathBuf {
    repo().join("data/eurepoc-1.1-even")
}

fn pacta(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pacta"))
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args(args)
        .output()
        .expect("the pacta binary runs")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}\nstdout:\n{}\nstderr:\n{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A registry holding the bundled sample, as `pacta import` leaves it.
fn registry() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pacta.db");
    let imported = ok(&pacta(&db, &["import", "eurepoc", sample().to_str().unwrap()]));
    assert!(imported.contains("Assessed 820 incident(s)"), "the import assesses what it imported:\n{imported}");
    (dir, db)
}

/// A copy of the built-in instruments in `dir`, with `edit` applied to one file.
fn amended_norms(dir: &Path, file: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let norms = dir.join("norms");
    std::fs::create_dir_all(norms.join("positions")).unwrap();
    for (path, text) in pacta_norms::BUILTIN {
        let rel = path.strip_prefix("norms/").unwrap();
        let text = if rel == file { edit(text) } else { text.to_string() };
        std::fs::write(norms.join(rel), text).unwrap();
    }
    norms
}

#[test]
fn an_assessment_shows_its_conclusions_and_the_rules_and_facts_behind_them() {
    let (_dir, db) = registry();
    // eurepoc:2: a 2000 defacement campaign between Azerbaijan and Armenia.
    let text = ok(&pacta(&db, &["assess", "eurepoc:2"]));
    assert!(text.contains("stored "), "the import already assessed it, so the stored copy is shown:\n{text}");
    assert!(text.contains("State responsibility:"), "{text}");
    assert!(text.contains("tallinn.r4.conduct"), "findings name their rule ids:\n{text}");
    assert!(text.contains("ILC Articles, art. 4"), "traces cite the provision:\n{text}");
    assert!(text.contains("facts: "), "traces list the facts read:\n{text}");
    assert!(text.contains("EuRepoC-comparable projection"), "{text}");

    // Another state's view is computed on demand and stored beside the default one.
    let fr = ok(&pacta(&db, &["assess", "eurepoc:2", "--perspective", "FR"]));
    assert!(fr.contains("computed now and stored (first assessment)"), "{fr}");
    assert!(fr.contains("view of FR"), "{fr}");
    assert!(ok(&pacta(&db, &["assess", "eurepoc:2", "--perspective", "FR"])).contains("stored "));

    let json: serde_json::Value = serde_json::from_str(&ok(&pacta(&db, &["assess", "eurepoc:2", "--json"]))).unwrap();
    assert_eq!(json["reference"], "eurepoc:2");
    assert_eq!(json["assessment"]["instruments_version"], pacta_norms::builtin().version());
    let findings = json["assessment"]["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["trace"]["cites"].is_string()), "every finding carries its citation");
}

#[test]
fn re_assessing_everything_under_unchanged_law_changes_nothing() {
    let (_dir, db) = registry();
    let text = ok(&pacta(&db, &["assess", "--all"]));
    assert!(text.contains("Assessed 820 incident(s)"), "{text}");
    assert!(text.contains("0 changed against the stored assessments"), "{text}");
    // The import stored every assessment already, and nothing moved: nothing is rewritten.
    assert!(text.contains("stored 0,"), "{text}");

    // France's view was never stored: the first pass stores all of it, the second nothing.
    let first: serde_json::Value = serde_json::from_str(&ok(&pacta(&db, &["assess", "--all", "--perspective", "FR", "--json"]))).unwrap();
    assert_eq!((first["assessed"].as_u64(), first["stored"].as_u64(), first["changed_since_stored"].as_u64()), (Some(820), Some(820), Some(0)));
    let again: serde_json::Value = serde_json::from_str(&ok(&pacta(&db, &["assess", "--all", "--perspective", "FR", "--json"]))).unwrap();
    assert_eq!((again["assessed"].as_u64(), again["stored"].as_u64()), (Some(820), Some(0)));
}

#[test]
fn amended_instruments_report_the_conclusions_they_would_change_without_storing_them() {
    let (dir, db) = registry();
    // The amendment: any loss of functionality, however brief, violates sovereignty (the
    // view of France's 2019 position), instead of only a lasting one.
    let norms = amended_norms(dir.path(), "tallinn-2.md", |text| {
        let from = "holds when: targets_a_state\n  and (lasting_loss_of_functionality or physical_damage";
        assert_eq!(text.matches(from).count(), 1, "the rule to amend is where the test expects it");
        text.replace(from, "holds when: targets_a_state\n  and (loss_of_functionality or physical_damage")
    });
    let text = ok(&pacta(&db, &["assess", "--all", "--norms", norms.to_str().unwrap()]));
    assert!(text.contains("rule tallinn.r4.conduct: does_not_hold -> holds"), "{text}");
    assert!(text.contains("Nothing was stored."), "{text}");
    let changed: u64 = text.lines().last().unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(changed > 0 && changed < 820, "{changed} incidents changed");
    // The tally before the last line counts each change over the incidents it touches.
    let listed = text.lines().filter(|l| l.trim() == "rule tallinn.r4.conduct: does_not_hold -> holds").count() as u64;
    let tallied: u64 = text
        .lines()
        .skip_while(|l| !l.starts_with("Incidents touched, by change:"))
        .find_map(|l| l.trim_start().strip_suffix("  rule tallinn.r4.conduct: does_not_hold -> holds"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no tally line for the amended rule:\n{text}"));
    assert!(listed > 0 && tallied == listed && tallied <= changed, "listed {listed}, tallied {tallied}, changed {changed}");

    let json: serde_json::Value = serde_json::from_str(&ok(&pacta(&db, &["assess", "--all", "--norms", norms.to_str().unwrap(), "--json"]))).unwrap();
    assert_eq!(json["changed"].as_array().unwrap().len() as u64, changed);
    assert_eq!(json["by_change"]["rule tallinn.r4.conduct: does_not_hold -> holds"].as_u64(), Some(tallied));
    assert_eq!(json["stored"], false);

    // What was stored is still the built-in law's assessment.
    let stored: serde_json::Value = serde_json::from_str(&ok(&pacta(&db, &["assess", "eurepoc:2", "--json"]))).unwrap();
    assert_eq!(stored["assessment"]["instruments_version"], pacta_norms::builtin().version());
    assert!(stored["provenance"].as_str().unwrap().starts_with("stored "), "{stored}");
}

#[test]
fn a_broken_rule_file_is_refused_with_its_place_and_nothing_is_assessed() {
    let (dir, db) = registry();
    let norms = amended_norms(dir.path(), "tallinn-2.md", |text| {
        format!("{text}\n```rule\nid: tallinn.moon\nkind: prohibition\nforce: law\ncites: none\nbreached when: moon_is_full\n```\n")
    });
    let out = pacta(&db, &["assess", "--all", "--norms", norms.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let place = stderr.find("tallinn-2.md:").map(|k| &stderr[k + "tallinn-2.md:".len()..]).unwrap_or_else(|| panic!("{stderr}"));
    let mut parts = place.splitn(3, ':');
    let (line, column) = (parts.next().unwrap(), parts.next().unwrap());
    assert!(line.parse::<u32>().is_ok() && column.parse::<u32>().is_ok(), "file:line:column in {stderr}");
    assert!(stderr.contains("moon_is_full"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing was assessed: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_rule_file_that_is_not_utf8_is_refused_at_its_bad_byte() {
    let (dir, db) = registry();
    let norms = amended_norms(dir.path(), "tallinn-2.md", |text| text.to_string());
    std::fs::write(norms.join("latin1.md"), b"# A position\n\nWritten in Latin-1:\nla souverainet\xe9\n").unwrap();
    let out = pacta(&db, &["assess", "--all", "--norms", norms.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("latin1.md:4:15: not UTF-8 text"), "{stderr}");
}

#[test]
fn eval_compares_with_the_experts_and_ends_with_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let predictions = dir.path().join("predictions.jsonl");
    // No database is opened: --db points nowhere usable.
    let out = pacta(&dir.path().join("absent/none.db"), &["eval", "eurepoc", sample().to_str().unwrap(), "--predictions", predictions.to_str().unwrap()]);
    let text = ok(&out);
    assert!(text.contains("Legal response indicator"), "{text}");
    assert!(text.contains("Cohen's kappa"), "{text}");
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    for dim in ["legal_response", "state_responsibility"] {
        for key in ["n", "accuracy", "kappa"] {
            assert!(last[dim][key].is_number(), "{dim}.{key} in {last}");
        }
    }
    let sovereignty = &last["il_breach"]["sovereignty"];
    for key in ["n", "precision", "recall", "f1"] {
        assert!(sovereignty[key].is_number(), "il_breach.sovereignty.{key} in {last}");
    }
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&predictions).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() as u64 >= last["legal_response"]["n"].as_u64().unwrap());
    assert!(lines[0]["id"].as_str().unwrap().starts_with("eurepoc:"));
    assert!(lines[0]["ours"]["legal_response"].is_string());
    assert!(lines[0]["trace"]["findings"].is_array());
}

/// The stored copy keeps the conclusions and not the traces; showing it assesses the same
/// facts again for the trace, and a stored copy that no longer agrees is reported, never
/// shown as if it did.
#[test]
fn a_stored_assessment_keeps_its_conclusions_and_a_tampered_one_is_caught() {
    let (_dir, db) = registry();
    let url = format!("sqlite://{}", db.display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (id, stored) = runtime.block_on(async {
        let store = pacta_store::Store::open(&url).await.unwrap();
        let id = store.get_incident("eurepoc:2").await.unwrap().unwrap().record.incident.id;
        let stored = store.stored_assessment(id, None).await.unwrap().unwrap();
        store.close().await;
        (id, stored)
    });
    assert!(!stored.body.contains("\"trace\""), "no trace is stored: {}", &stored.body[..200.min(stored.body.len())]);
    assert!(ok(&pacta(&db, &["assess", "eurepoc:2"])).contains("its trace reproduced now"));

    // Someone edits the stored conclusions behind the engine's back.
    let mut body: serde_json::Value = serde_json::from_str(&stored.body).unwrap();
    body["threshold"]["reached"] = "armed_attack".into();
    runtime.block_on(async {
        let store = pacta_store::Store::open(&url).await.unwrap();
        let versions = pacta_store::assessments::Versions { instruments: &stored.instruments_version, engine: &stored.engine_version };
        let row = pacta_store::assessments::NewAssessment { incident: id, perspective: None, log_index: stored.log_index, body: body.to_string() };
        store.store_assessments(versions, &[row]).await.unwrap();
        store.close().await;
    });
    let out = pacta(&db, &["assess", "eurepoc:2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("differs from the same assessment made now") && err.contains("threshold: armed_attack"), "{err}");

    // Re-assessing everything writes back the one row that differs, and only that one.
    let text = ok(&pacta(&db, &["assess", "--all"]));
    assert!(text.contains("stored 1,") && text.contains("1 changed against the stored assessments"), "{text}");
    assert!(ok(&pacta(&db, &["assess", "eurepoc:2"])).contains("its trace reproduced now"));
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    // `pacta assess --all | head -1`: the pipe closes after one line. The command stops
    // as `cat` would, without a panic and its backtrace.
    let (_dir, db) = registry();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacta"))
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args(["incidents", "list", "--limit", "500"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
