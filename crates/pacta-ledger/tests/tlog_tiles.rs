//! The 15-entry tiled log from transparency-dev/tessera (`testdata/tlog-tiles`):
//! every checkpoint's signature, every root recomputed from the entries, every
//! tile reproduced byte for byte; then tampering with an entry, a tile or a
//! checkpoint must be detected and named.

use std::collections::HashMap;
use std::path::Path;

use pacta_ledger::checkpoint::{open_checkpoint, CheckpointError};
use pacta_ledger::hash::leaf_hash;
use pacta_ledger::note::{NoteError, NoteVerifier, Verifier};
use pacta_ledger::tiles::{audit, decode_bundle, hash_tile, tiles_for_size, AuditError, TileKind, TileSource};
use pacta_ledger::tree::MemoryTree;

const VKEY: &str = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

/// The test log held in memory, so tests can tamper with copies of it.
#[derive(Clone)]
struct Log(HashMap<String, Vec<u8>>);

impl TileSource for Log {
    fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.0.get(path).cloned()
    }
}

fn load() -> Log {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tlog-tiles");
    let mut files = HashMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "LICENSE") {
                let rel = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
                files.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    Log(files)
}

fn checkpoint_names() -> Vec<String> {
    let mut v: Vec<String> = (1..=15).map(|n| format!("checkpoint.{n}")).collect();
    v.push("checkpoint".to_owned());
    v
}

#[test]
fn every_checkpoint_root_and_tile_is_reproduced() {
    let log = load();
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    assert_eq!(verifier.to_vkey(), VKEY);

    // checkpoint.0 is the empty tree: its signature verifies too.
    let mut signed = 0;
    for n in 0..=15 {
        let text = String::from_utf8(log.get(&format!("checkpoint.{n}")).unwrap()).unwrap();
        let cp = open_checkpoint(&text, &[&verifier as &dyn Verifier]).unwrap().checkpoint;
        assert_eq!(cp.size, n);
        assert_eq!(cp.origin, "example.com/log/testdata");
        signed += 1;
    }
    assert_eq!(signed, 16);

    // Independently of `audit`: rebuild from the largest bundle and compare
    // every root and every tile for every size.
    let entries = decode_bundle(&log.get("tile/entries/000.p/15").unwrap()).unwrap();
    assert_eq!(entries.len(), 15);
    let tree = MemoryTree::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)));
    let mut tiles_compared = 0;
    for n in 1..=15u64 {
        let text = String::from_utf8(log.get(&format!("checkpoint.{n}")).unwrap()).unwrap();
        let cp = open_checkpoint(&text, &[&verifier as &dyn Verifier]).unwrap().checkpoint;
        assert_eq!(tree.root_at(n).unwrap(), cp.root, "root at size {n}");
        for tile in tiles_for_size(n) {
            let served = log.get(&tile.path()).unwrap_or_else(|| panic!("{} missing", tile.path()));
            match tile.kind {
                TileKind::Entries => assert_eq!(decode_bundle(&served).unwrap(), entries[..n as usize].to_vec()),
                TileKind::Hash { .. } => assert_eq!(hash_tile(&tree, tile).unwrap(), served, "{}", tile.path()),
            }
            tiles_compared += 1;
        }
    }
    assert_eq!(tiles_compared, 30);

    let names = checkpoint_names();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let report = audit(&log, &verifier, &refs).unwrap();
    assert_eq!(report.entries, 15);
    // `checkpoint` is checkpoint.15 again: 15 distinct checkpoints, each with its own
    // partial level-0 tile and entry bundle; the report counts files, not reads.
    assert_eq!(report.checkpoints.len(), 15);
    assert_eq!(report.tiles_checked, 15);
    assert_eq!(report.bundles_checked, 15);
}

fn audit_all(log: &Log) -> Result<(), AuditError> {
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    let names = checkpoint_names();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    audit(log, &verifier, &refs).map(|_| ())
}

#[test]
fn tampered_entry_is_named() {
    // Flip a byte of entry 3 ("four") in the size-15 bundle: the log already
    // committed to entry 3 at size 4, so the rewrite is named at index 3.
    let mut log = load();
    let bundle = log.0.get_mut("tile/entries/000.p/15").unwrap();
    let pos = bundle.windows(4).position(|w| w == b"four").unwrap();
    bundle[pos] ^= 0x01;
    match audit_all(&log) {
        Err(AuditError::EntryRewritten { path, index, .. }) => {
            assert_eq!(path, "tile/entries/000.p/15");
            assert_eq!(index, 3);
        }
        other => panic!("expected EntryRewritten, got {other:?}"),
    }
    // The newest entry has no earlier commitment: the level-0 tile disagrees.
    let mut log = load();
    let bundle = log.0.get_mut("tile/entries/000.p/15").unwrap();
    let last = bundle.len() - 1;
    bundle[last] ^= 0x01;
    match audit_all(&log) {
        Err(AuditError::TileHash { path, position, .. }) => {
            assert_eq!(path, "tile/0/000.p/15");
            assert_eq!(position, 14);
        }
        other => panic!("expected TileHash, got {other:?}"),
    }
}

#[test]
fn tampered_tile_is_named() {
    let mut log = load();
    let tile = log.0.get_mut("tile/0/000.p/7").unwrap();
    tile[32 * 5 + 9] ^= 0x80;
    let err = audit_all(&log).unwrap_err();
    match &err {
        AuditError::TileHash { path, position, level, node, expected, found } => {
            assert_eq!(path, "tile/0/000.p/7");
            assert_eq!((*position, *level, *node), (5, 0, 5));
            assert_ne!(expected, found);
        }
        other => panic!("expected TileHash, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("tile/0/000.p/7") && msg.contains("hash 5"), "{msg}");

    let mut log = load();
    log.0.get_mut("tile/0/000.p/7").unwrap().pop();
    assert!(matches!(audit_all(&log), Err(AuditError::TileLength { .. })));

    // A log keeps only its latest partial tiles: an older checkpoint's partial tile that
    // is gone is read as the prefix of a later, wider one, and still checked.
    let mut log = load();
    log.0.remove("tile/0/000.p/9");
    log.0.remove("tile/entries/000.p/9");
    assert_eq!(audit_all(&log), Ok(()));
    let mut log = load();
    for w in 1..15 {
        log.0.remove(&format!("tile/0/000.p/{w}"));
        log.0.remove(&format!("tile/entries/000.p/{w}"));
    }
    assert_eq!(audit_all(&log), Ok(()));
    // ...and a tampered wider tile is still caught, for the earliest checkpoint that reads it.
    log.0.get_mut("tile/0/000.p/15").unwrap()[32 * 2] ^= 0x01;
    assert!(matches!(audit_all(&log), Err(AuditError::TileHash { path, position: 2, .. }) if path == "tile/0/000.p/15"));
    // The latest partial tile has nothing wider to stand in for it.
    let mut log = load();
    log.0.remove("tile/0/000.p/15");
    assert_eq!(audit_all(&log), Err(AuditError::Missing { path: "tile/0/000.p/15".into() }));
}

#[test]
fn tampered_checkpoint_is_named() {
    for (what, edit) in [
        ("size", Box::new(|t: &mut Vec<u8>| { let i = t.iter().position(|&b| b == b'\n').unwrap() + 1; t[i] = b'9'; }) as Box<dyn Fn(&mut Vec<u8>)>),
        ("root", Box::new(|t: &mut Vec<u8>| { let i = t.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).unwrap().0 + 3; t[i] = if t[i] == b'A' { b'B' } else { b'A' }; })),
        ("signature", Box::new(|t: &mut Vec<u8>| { let n = t.len(); t[n - 10] = if t[n - 10] == b'A' { b'B' } else { b'A' }; })),
    ] {
        let mut log = load();
        edit(log.0.get_mut("checkpoint.6").unwrap());
        match audit_all(&log) {
            Err(AuditError::Checkpoint { name, source: CheckpointError::Note(NoteError::BadSignature { name: key, .. }) }) => {
                assert_eq!(name, "checkpoint.6", "{what}");
                assert_eq!(key, "example.com/log/testdata");
            }
            other => panic!("{what}: expected a bad signature on checkpoint.6, got {other:?}"),
        }
    }
    // A checkpoint signed by nobody we know.
    let mut log = load();
    let other = pacta_ledger::note::NoteSigner::from_seed("example.com/log/testdata", [1u8; 32]).unwrap();
    let cp = pacta_ledger::checkpoint::Checkpoint::parse("example.com/log/testdata\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n").unwrap();
    log.0.insert("checkpoint.1".into(), cp.sign(&other).unwrap().into_bytes());
    assert!(matches!(
        audit_all(&log),
        Err(AuditError::Checkpoint { source: CheckpointError::Note(NoteError::NoKnownSignature { .. }), .. })
    ));
}

/// An auditor counts a checkpoint as verified by its file name; a copy of checkpoint 8
/// saved as checkpoint.9 (or checkpoint.08) must not pass for checkpoint 9.
#[test]
fn a_checkpoint_filed_under_another_size_is_refused() {
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    for wrong in ["checkpoint.9", "checkpoint.08"] {
        let mut log = load();
        let eight = log.0["checkpoint.8"].clone();
        log.0.insert(wrong.to_owned(), eight);
        let names = [wrong, "checkpoint"];
        match audit(&log, &verifier, &names) {
            Err(AuditError::Misnamed { name, size }) => assert_eq!((name.as_str(), size), (wrong, 8)),
            other => panic!("{wrong}: {other:?}"),
        }
    }
}
