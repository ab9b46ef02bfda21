//! `pacta practice`, `pacta sim axelrod --from-registry` and `pacta tabletop run`, through
//! the real binary on the bundled sample and the example scenario.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pacta(db: &str, args: &[&str]) -> Output {
    
    Command::new(env!("CARGO_BIN_EXE_pacta"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(repo())
        .env_remove("PACTA_DB")
        .output()
        .expect("the pacta binary runs")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn practice_on_the_eurepoc_sample() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    ok(&pacta(&db, &["import", "eurepoc", "data/eurepoc-1.1-even"]));

    let chart = dir.path().join("gge-13f.svg");
    let json = ok(&pacta(&db, &["practice", "--json", "--chart", chart.to_str().unwrap()]));
    let p: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(p["incidents_read"], 820);
    assert_eq!(p["incidents_counted"], 820);
    // These depend on the data and on what counts as attributed or responded, not on the
    // instruments: 507 incidents have a credible claim naming a state (27 more are named
    // only by unnamed officials, which is not relied on), 30 an observed response, 22 both.
    let all = &p["all"]["total"];
    assert_eq!((all["incidents"].as_u64(), all["attributed"].as_u64(), all["responded"].as_u64(), all["punished"].as_u64()), (Some(820), Some(507), Some(30), Some(22)));
    assert_eq!(all["detection"].as_f64(), Some(507.0 / 820.0));
    // EuRepoC codes no reaction of the alleged state: silent once attributed, else unknown.
    assert_eq!((all["reactions"]["silent"].as_u64(), all["reactions"]["unknown"].as_u64()), (Some(507), Some(313)));
    // Every rate agrees with its counts, per norm and per year.
    let norms = p["norms"].as_array().unwrap();
    assert!(norms.iter().any(|n| n["rule"] == "gge.13f"), "the critical-infrastructure norm is engaged in the sample");
    for n in norms {
        let t = &n["total"];
        let (i, a, q) = (t["incidents"].as_u64().unwrap(), t["attributed"].as_u64().unwrap(), t["punished"].as_u64().unwrap());
        assert!(a <= i && q <= a, "{}", n["rule"]);
        assert_eq!(t["detection"].as_f64(), Some(a as f64 / i as f64));
        let by_year: u64 = n["years"].as_array().unwrap().iter().map(|y| y["incidents"].as_u64().unwrap()).sum();
        assert_eq!(by_year, i, "{}: the years add up to the total", n["rule"]);
    }
    assert_eq!(p["states"][0]["state"], "US", "the most involved state in the sample");
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("engaged") && svg.contains("2017"));

    // One norm, one state, a range of years.
    let text = ok(&pacta(&db, &["practice", "--norm", "gge.13f", "--state", "US", "--from", "2015", "--to", "2022"]));
    assert!(text.contains("those involving United States (US), 2015 to 2022"), "{text}");
    assert!(text.contains("Per year: gge.13f"), "{text}");
    let bad = pacta(&db, &["practice", "--norm", "gge.99z"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no rule \"gge.99z\""));

    // The calibrated game says what it derived, and from how many incidents.
    let sim = ok(&pacta(&db, &["sim", "axelrod", "--from-registry", "--norm", "gge.13f", "--runs", "5", "--generations", "10"]));
    let first = sim.lines().next().unwrap();
    assert!(first.starts_with("Calibrated from the registry") && first.contains("820 incident(s) read") && first.contains("engaged gge.13f"), "{first}");
    assert!(sim.contains("seen fixed") && sim.contains("punish fixed"), "{sim}");
    // The explicit form still needs no registry at all.
    let explicit = ok(&pacta("sqlite:///nonexistent/dir/x.db", &["sim", "axelrod", "--from-registry", "seen=0.3,punish=0.5", "--runs", "2", "--generations", "5"]));
    assert!(explicit.contains("seen fixed 0.3; punish fixed 0.5"), "{explicit}");
}

#[test]
fn the_hospital_ransomware_exercise_replays_into_a_scratch_registry() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("scratch.db").display());
    let out = ok(&pacta(&db, &["tabletop", "run", "scenarios/hospital-ransomware.toml"]));
    assert!(out.contains("[1/10]") && out.contains("[10/10]"), "{out}");
    // The first report: nobody has attributed it yet, so no rule is breached, but the
    // practice already counts an undetected defection.
    let first = out.split("[2/10]").next().unwrap();
    assert!(first.contains("log #0 incident.reported by state:EE"), "{first}");
    assert!(first.contains("1 engaged a norm, 0 attributed (detection 0.0%)"), "{first}");
    // Evidence through the custody write path, with an exercise key.
    assert!(out.contains("log #2 evidence.received by org:cert-ee"), "{out}");
    // The claim makes the conduct attributable, and the norm on critical infrastructure
    // is engaged.
    let claim = out.split("[6/10]").nth(1).unwrap().split("[7/10]").next().unwrap();
    assert!(claim.contains("incident.updated by verifier:forensic-lab") && claim.contains("gge.13f"), "{claim}");
    // The consultation request is sent through the forum, with its deadlines, and the
    // missed acknowledgement is recorded when the exercise clock passes it.
    let request = out.split("[7/10]").nth(1).unwrap().split("[8/10]").next().unwrap();
    assert!(request.contains("Request to stop activity from your territory sent to state:RU: acknowledge by 2026-03-07 10:00 UTC"), "{request}");
    // A consultation is AMBER: the public log seals it, naming neither its kind nor its sender.
    assert!(request.contains("consultation.sent (sealed)"), "{request}");
    let next = out.split("[8/10]").nth(1).unwrap().split("[9/10]").next().unwrap();
    assert!(next.contains("log #11 consultation.lapsed (sealed)"), "{next}");
    // The last inject's response completes the practice: attributed and punished.
    let last = out.split("[10/10]").nth(1).unwrap();
    assert!(last.contains("log #15 incident.updated by state:EE") && last.contains("1 punished (punishment 100.0%)"), "{last}");
    assert!(out.contains("log of 16 entries"), "{out}");

    // The log verifies like any other, and the incident is there with its claims.
    let shown = ok(&pacta(&db, &["incidents", "show", "registry:tabletop-nightshade"]));
    assert!(shown.contains("Attribution claims (2)") && shown.contains("expulsion of diplomats") && shown.contains("denied"), "{shown}");

    // A second run into the same database is refused: exercises never write into a
    // registry that already has entries.
    let again = pacta(&db, &["tabletop", "run", "scenarios/hospital-ransomware.toml"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds 16 log entries"));
}

/// The secretariat's scenario has a mistake only the write path can see (an update ending
/// the incident before it began). Nothing of it lands, and fixing the file is enough to
/// run it into the same scratch database.
#[test]
fn a_scenario_that_fails_midway_writes_nothing_and_can_be_rerun_once_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("scratch.db").display());
    let scenario = dir.path().join("e.toml");
    let text = |end: &str| {
        format!(
            "title = \"t\"\n\
             [[inject]]\nid = \"a\"\nat = 2026-03-02T06:00:00Z\nkind = \"incident\"\nincident = \"h\"\ntitle = \"Grid outage\"\nstart_date = \"2026-03-02\"\n\
             [[inject]]\nid = \"b\"\nat = 2026-03-03T06:00:00Z\nkind = \"update\"\nincident = \"h\"\nend_date = \"{end}\"\n"
        )
    };
    std::fs::write(&scenario, text("2026-03-01")).unwrap();
    let bad = pacta(&db, &["tabletop", "run", scenario.to_str().unwrap()]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("e.toml") && err.contains("inject 2 (\"b\")") && err.contains("end_date") && err.contains("nothing was written"), "{err}");
    assert!(!String::from_utf8_lossy(&bad.stdout).contains("[1/2]"), "nothing is replayed");

    std::fs::write(&scenario, text("2026-03-04")).unwrap();
    let out = ok(&pacta(&db, &["tabletop", "run", scenario.to_str().unwrap()]));
    assert!(out.contains("[2/2]") && out.contains("log of 2 entries"), "{out}");
}

#[test]
fn a_chart_never_replaces_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let precious = dir.path().join("keep.txt");
    std::fs::write(&precious, "precious").unwrap();
    let out = pacta(&db, &["sim", "axelrod", "--runs", "2", "--generations", "5", "--chart", precious.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = pacta(&db, &["practice", "--chart", precious.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
}
