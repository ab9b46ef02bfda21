//! `pacta log export` then `pacta verify log DIR`, run as an auditor would: the log is signed,
//! grows, is signed again, and is published as a static directory; the auditor checks every
//! checkpoint in it offline, trusting only the log's key.
//!
//! Run: `cargo test -p pacta-cli --test export`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pacta(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pacta")).arg("--db").arg(format!("sqlite://{}", db.display())).args(args).output().expect("the pacta binary runs")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}\nstdout:\n{}\nstderr:\n{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn an_auditor_verifies_every_checkpoint_of_an_exported_log_offline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pacta.db");
    // 820 entries, signed: the partial tiles of that checkpoint are 003.p/52 (entries and
    // level 0) and 000.p/3 (level 1).
    ok(&pacta(&db, &["import", "eurepoc", repo().join("data/eurepoc-1.1-even").to_str().unwrap()]));
    ok(&pacta(&db, &["log", "checkpoint"]));
    // The log grows by 60 entries and is signed again: its partial tiles are now 003.p/112,
    // and a static copy holds only those, as a log that keeps its latest partial tiles does.
    let cfr = repo().join("data/cfr-sample/cyber-operations-incidents.sample.csv");
    ok(&pacta(&db, &["import", "cfr", cfr.to_str().unwrap()]));
    ok(&pacta(&db, &["log", "checkpoint"]));
    let site = dir.path().join("site");
    let exported = ok(&pacta(&db, &["log", "export", site.to_str().unwrap()]));
    assert!(exported.contains("exported 880 entries"), "{exported}");
    assert!(site.join("checkpoint.820").exists() && site.join("checkpoint.880").exists());
    assert!(!site.join("tile/entries/003.p/52").exists() && site.join("tile/entries/003.p/112").exists());

    let key = ok(&pacta(&db, &["log", "key"]));
    let audit = Command::new(env!("CARGO_BIN_EXE_pacta")).args(["verify", "log", site.to_str().unwrap(), "--key", key.trim()]).output().unwrap();
    let report = ok(&audit);
    assert!(report.starts_with("OK: 880 entries recomputed") && report.contains("2 checkpoint(s) verified"), "{report}");

    // An entry altered in the copy is found, and named by its index in the log: entry 804,
    // the 37th of the bundle (a bundle is each entry's two-byte big-endian length, then its
    // bytes), which the first checkpoint already signed.
    let bundle = site.join("tile/entries/003.p/112");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let mut at = 0;
    for _ in 0..36 {
        at += 2 + usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    }
    let len = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    bytes[at + 2 + len / 2] ^= 0x01;
    std::fs::write(&bundle, bytes).unwrap();
    let audit = Command::new(env!("CARGO_BIN_EXE_pacta")).args(["verify", "log", site.to_str().unwrap(), "--key", key.trim()]).output().unwrap();
    let text = String::from_utf8_lossy(&audit.stdout).into_owned() + &String::from_utf8_lossy(&audit.stderr);
    assert!(!audit.status.success() && text.contains("003.p/112") && text.contains("node 804"), "{text}");
}

/// `pacta log key` is how an auditor learns the key to verify with; it is a read. With a
/// mistyped database it creates nothing; on a signed log it prints the key the log is
/// bound to, even when the private key file named is not the log's.
#[test]
fn printing_the_log_key_creates_no_database_and_no_second_key() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.db");
    let out = pacta(&typo, &["log", "key"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no database at"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing is created");

    let db = dir.path().join("pacta.db");
    ok(&pacta(&db, &["import", "eurepoc", repo().join("data/eurepoc-1.1-even").to_str().unwrap()]));
    ok(&pacta(&db, &["log", "checkpoint"]));
    let key = ok(&pacta(&db, &["log", "key"]));
    let other = dir.path().join("other.key");
    let again = Command::new(env!("CARGO_BIN_EXE_pacta")).arg("--db").arg(format!("sqlite://{}", db.display())).arg("--log-key").arg(&other).args(["log", "key"]).output().unwrap();
    assert_eq!(ok(&again), key);
    assert!(!other.exists(), "no private key is made for a log that has one");
}

/// An intruder rewrites a logged entry and recomputes its leaf hash, so the rows agree
/// with each other. The signed checkpoint does not: proving and exporting refuse, instead
/// of handing out receipts and tiles no verifier would accept.
#[test]
fn a_log_rewritten_behind_its_checkpoint_is_refused_before_anything_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pacta.db");
    ok(&pacta(&db, &["import", "eurepoc", repo().join("data/eurepoc-1.1-even").to_str().unwrap()]));
    ok(&pacta(&db, &["log", "checkpoint"]));
    ok(&pacta(&db, &["log", "prove", "5"]));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::Row;
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        let row = sqlx::query("SELECT entry FROM log_entries WHERE idx = 5").fetch_one(&pool).await.unwrap();
        let mut entry: Vec<u8> = row.try_get("entry").unwrap();
        let last = entry.len() - 2;
        entry[last] ^= 0x01;
        let leaf = pacta_ledger::hash::leaf_hash(&entry);
        sqlx::query("UPDATE log_entries SET entry = $1, leaf_hash = $2 WHERE idx = 5").bind(entry).bind(leaf.to_vec()).execute(&pool).await.unwrap();
        pool.close().await;
    });
    for args in [vec!["log", "prove", "5"], vec!["log", "export", dir.path().join("site").to_str().unwrap()]] {
        let out = pacta(&db, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no longer matches its signed checkpoint 820"), "{args:?}: {err}");
    }
    assert!(!dir.path().join("site").exists(), "nothing was exported");
}
