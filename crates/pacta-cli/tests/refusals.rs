//! What the command line refuses, through the real binary: each refusal names what is
//! wrong, exits non-zero, and leaves what it was given untouched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pacta(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pacta")).args(args).current_dir(dir).env_remove("PACTA_DB").output().expect("the pacta binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_demo_refuses_a_database_it_would_not_use_and_leaves_that_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("ministry.db");
    std::fs::write(&mine, b"not to be replaced").unwrap();
    let out = pacta(dir.path(), &["--db", &format!("sqlite://{}", mine.display()), "demo", "--no-serve"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("creates a fresh SQLite database at --path"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&mine).unwrap(), b"not to be replaced");
    assert!(!dir.path().join("pacta-demo.db").exists(), "nothing was created either");
}

#[test]
fn a_sqlite_url_without_a_file_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let out = pacta(dir.path(), &["--db", "sqlite://", "incidents", "list"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("names no file"), "{}", stderr(&out));
}

#[test]
fn an_import_with_refused_rows_commits_the_rest_and_exits_non_zero() {
    // A script must learn that some rows were left out, though the rest is in.
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(repo().join("data/cfr-sample/cyber-operations-incidents.sample.csv")).unwrap();
    let header = sample.lines().next().unwrap();
    let csv = dir.path().join("export.csv");
    std::fs::write(&csv, format!("{header}\nGood row,5/6/2021,APT,Stole data,,Energy firms in Poland,Russian Federation,Espionage,Private sector,,,\nBad date,31/31/2020,Someone,Did something,,Germany,Russia,Espionage,Government,,,\n")).unwrap();
    let db = format!("sqlite://{}", dir.path().join("r.db").display());
    let out = pacta(dir.path(), &["--db", &db, "import", "cfr", csv.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr(&out).contains("1 row(s) were refused") && stderr(&out).contains("every other row was imported"), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("refused export.csv:3: Date \"31/31/2020\"") && stdout.contains("Imported 1 new incident(s)"), "{stdout}");
    let listed = pacta(dir.path(), &["--db", &db, "incidents", "list"]);
    assert!(listed.status.success() && String::from_utf8_lossy(&listed.stdout).contains("Good row"), "{}", stderr(&listed));
}
