//! Sign/verify round trips for notes, cosignatures and receipts; canonical
//! JSON against RFC 8785's examples; garbage in, errors out (never a panic).

use pacta_ledger::canonical::{to_canonical_string, CanonicalError};
use pacta_ledger::checkpoint::{open_checkpoint, Checkpoint};
use pacta_ledger::cosignature::{CosignatureSigner, CosignatureVerifier};
use pacta_ledger::hash::leaf_hash;
use pacta_ledger::note::{self, KeyError, Note, NoteError, NoteSigner, NoteVerifier, Verifier, MAX_SIGNATURES};
use pacta_ledger::receipt::{Receipt, ReceiptError};
use pacta_ledger::tiles::{decode_bundle, TileId};
use pacta_ledger::tree::{MemoryTree, ProofError};

fn seed(label: &str) -> [u8; 32] {
    pacta_ledger::hash::sha256(label.as_bytes())
}

#[test]
fn notes_round_trip_and_distinguish_unknown_from_forged() {
    let a = NoteSigner::from_seed("a.example/log", seed("a")).unwrap();
    let b = NoteSigner::from_seed("b.example/log", seed("b")).unwrap();
    let text = "line one\n\nline three after an empty line\n";
    let signed = note::sign(text, &[&a, &b]).unwrap();
    let (va, vb) = (a.verifier(), b.verifier());
    let opened = note::open(&signed, &[&va as &dyn Verifier]).unwrap();
    assert_eq!(opened.note.text, text);
    assert_eq!(opened.verified.len(), 1);
    assert_eq!(note::open(&signed, &[&va, &vb]).unwrap().verified.len(), 2);
    assert_eq!(Note::parse(&signed).unwrap().to_text(), signed);

    // Verifier key strings round-trip and are checked.
    let vkey = va.to_vkey();
    assert_eq!(NoteVerifier::parse(&vkey).unwrap(), va);
    let mut parts: Vec<&str> = vkey.split('+').collect();
    let bad_id = format!("{:08x}", u32::from_str_radix(parts[1], 16).unwrap() ^ 1);
    parts[1] = &bad_id;
    assert!(matches!(NoteVerifier::parse(&parts.join("+")), Err(KeyError::KeyIdMismatch { .. })));

    // Unknown keys: distinct from a forged signature.
    let c = NoteSigner::from_seed("c.example/log", seed("c")).unwrap();
    assert!(matches!(note::open(&signed, &[&c.verifier() as &dyn Verifier]), Err(NoteError::NoKnownSignature { .. })));
    let forged = signed.replace("line one", "line 0ne");
    assert!(matches!(note::open(&forged, &[&va as &dyn Verifier]), Err(NoteError::BadSignature { .. })));
    // Same name, different key: an unknown key, ignored.
    let impostor = NoteSigner::from_seed("a.example/log", seed("not a")).unwrap();
    let other = note::sign(text, &[&impostor]).unwrap();
    assert!(matches!(note::open(&other, &[&va as &dyn Verifier]), Err(NoteError::NoKnownSignature { .. })));
}

#[test]
fn note_limits_and_garbage() {
    let a = NoteSigner::from_seed("a.example", seed("a")).unwrap();
    let va = a.verifier();
    assert_eq!(note::sign("no newline", &[&a]), Err(NoteError::TextNotTerminated));
    assert!(matches!(note::sign("bell\u{7}\n", &[&a]), Err(NoteError::ControlCharacter { byte: 7, .. })));
    // Exactly MAX_SIGNATURES lines are accepted, one more is refused.
    let line = a.sign_text("x\n").to_line();
    let ok = format!("x\n\n{}", line.repeat(MAX_SIGNATURES));
    assert!(note::open(&ok, &[&va as &dyn Verifier]).is_ok());
    let too_many = format!("x\n\n{}", line.repeat(MAX_SIGNATURES + 1));
    assert!(matches!(Note::parse(&too_many), Err(NoteError::TooManySignatures { .. })));
    assert!(matches!(Note::parse(&"a".repeat(2 << 20)), Err(NoteError::TooLarge { .. })));
    for bad in [
        "", "\n", "text\n", "text\n\n", "text\n\n\n", "text\n\n— a.example AAAA\n", "text\n\n- a.example QUJDREVGRw==\n",
        "text\n\n— a.example QUJDREVGRw==", "text\n\n— a+b QUJDREVGRw==\n", "text\n\n— a.example QUJDREVGRw\n",
        "text\n\n—  QUJDREVGRw==\n", "te\rxt\n\n— a QUJDREVGRw==\n",
    ] {
        assert!(note::open(bad, &[&va as &dyn Verifier]).is_err(), "{bad:?}");
    }
    assert!(Note::parse_bytes(&[b'a', b'\n', b'\n', 0xff, b'\n']).is_err());
    for bad in ["", "a", "a+b", "a+0000000+AQ==", "a+zzzzzzzz+AQ==", "a+00000000+!!!", "a+00000000+AQ==", "a b+00000000+AQ=="] {
        assert!(NoteVerifier::parse(bad).is_err(), "{bad:?}");
        assert!(NoteSigner::parse_private_key(&format!("PRIVATE+KEY+{bad}")).is_err(), "{bad:?}");
    }
    assert!(NoteSigner::parse_private_key(&va.to_vkey()).is_err());
    assert!(NoteSigner::from_seed("", seed("x")).is_err());
}

#[test]
fn generated_keys_work() {
    let s = NoteSigner::generate("gen.example").unwrap();
    let back = NoteSigner::parse_private_key(&s.to_private_key()).unwrap();
    let signed = note::sign("hi\n", &[&back]).unwrap();
    assert!(note::open(&signed, &[&s.verifier() as &dyn Verifier]).is_ok());
    let w = CosignatureSigner::generate("w.example").unwrap();
    assert_eq!(CosignatureVerifier::parse(&w.verifier().to_vkey()).unwrap(), w.verifier());
}

#[test]
fn cosignatures_round_trip() {
    let log = NoteSigner::from_seed("log.example", seed("log")).unwrap();
    let w = CosignatureSigner::from_seed("witness.example/w1", seed("w1")).unwrap();
    let cp = Checkpoint::new("log.example", 3, [4u8; 32]).unwrap();
    let mut note = Note::parse(&cp.sign(&log).unwrap()).unwrap();
    let sig = w.cosign(&note.text, 1_679_315_147).unwrap();
    assert_eq!(sig.signature.len(), 72);
    assert_eq!(w.verifier().verify_cosignature(&note.text, &sig.signature), Ok(1_679_315_147));
    note.signatures.push(sig.clone());
    let text = note.to_text();
    let (lv, wv) = (log.verifier(), w.verifier());
    let opened = open_checkpoint(&text, &[&lv as &dyn Verifier, &wv]).unwrap();
    assert_eq!(opened.note.verified.len(), 2);
    // A cosignature over another checkpoint fails; so does a changed timestamp.
    let other = Checkpoint::new("log.example", 4, [4u8; 32]).unwrap().to_text();
    assert!(w.verifier().verify_cosignature(&other, &sig.signature).is_err());
    let mut later = sig.signature.clone();
    later[7] ^= 1;
    assert!(w.verifier().verify_cosignature(&note.text, &later).is_err());
    assert!(w.verifier().verify_cosignature(&note.text, &later[..71]).is_err());
    assert!(w.cosign("not a checkpoint\n", 1).is_err());
    assert!(w.cosign(&note.text, u64::MAX).is_err());
}

fn log_with(n: u64) -> (MemoryTree, NoteSigner, Vec<Vec<u8>>) {
    let signer = NoteSigner::from_seed("registry.example/log", seed("registry")).unwrap();
    let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("{{\"entry\":{i}}}").into_bytes()).collect();
    let tree = MemoryTree::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)));
    (tree, signer, entries)
}

#[test]
fn receipts_round_trip_and_name_failures() {
    let (tree, log, entries) = log_with(21);
    let w = CosignatureSigner::from_seed("witness.example", seed("w")).unwrap();
    let mut note = Note::parse(&Checkpoint::new("registry.example/log", 21, tree.root()).unwrap().sign(&log).unwrap()).unwrap();
    note.signatures.push(w.cosign(&note.text, 1_700_000_000).unwrap());
    let signed = note.to_text();
    let (lv, wv) = (log.verifier(), w.verifier());

    for index in [0u64, 7, 20] {
        let mut r = Receipt::from_tree(&tree, index, &signed).unwrap();
        r.extra = Some(b"context".to_vec());
        let text = r.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra Y29udGV4dA==\nindex "));
        let back = Receipt::parse(&text).unwrap();
        assert_eq!(back, r);
        let ok = back.verify_entry(&entries[index as usize], &lv, &[&wv], 1).unwrap();
        assert_eq!(ok.checkpoint.size, 21);
        assert_eq!(ok.witnesses, vec!["witness.example".to_owned()]);
    }
    let r = Receipt::from_tree(&tree, 5, &signed).unwrap();
    // Wrong entry: the proof error names the sizes and roots.
    match r.verify_entry(b"other", &lv, &[], 0) {
        Err(ReceiptError::Proof(ProofError::RootMismatch { size: 21, .. })) => {}
        other => panic!("{other:?}"),
    }
    // Quorum not met.
    assert_eq!(r.verify_entry(&entries[5], &lv, &[], 1).unwrap_err(), ReceiptError::NotEnoughCosignatures { needed: 1, found: 0 });
    // Wrong log key.
    let stranger = NoteSigner::from_seed("registry.example/log", seed("stranger")).unwrap().verifier();
    assert!(r.verify_entry(&entries[5], &stranger, &[], 0).is_err());
    // Index beyond the tree.
    let mut far = r.clone();
    far.index = 21;
    assert!(matches!(far.verify_entry(&entries[5], &lv, &[], 0), Err(ReceiptError::Proof(ProofError::IndexOutOfRange { .. }))));
    // A proof for another index.
    let mut moved = r.clone();
    moved.index = 4;
    assert!(moved.verify_entry(&entries[5], &lv, &[], 0).is_err());

    let good = r.to_text();
    for bad in [
        String::new(),
        good.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1),
        good.replacen("index 5", "index 05", 1),
        good.replacen("index 5", "index -5", 1),
        good.replacen("index 5", "idx 5", 1),
        good.replacen("\n\nregistry", "\nregistry", 1),
        good.replacen("=\n", "\n", 1),
        good[..good.len() - 5].to_owned(),
        "c2sp.org/tlog-proof@v1\nindex 0\n\n".to_owned(),
    ] {
        assert!(Receipt::parse(&bad).is_err(), "{bad:?}");
    }
}

#[test]
fn checkpoint_sign_and_open() {
    let (tree, log, _) = log_with(9);
    let cp = Checkpoint::new("registry.example/log", 9, tree.root()).unwrap();
    let signed = cp.sign(&log).unwrap();
    let lv = log.verifier();
    assert_eq!(open_checkpoint(&signed, &[&lv as &dyn Verifier]).unwrap().checkpoint, cp);
}

#[test]
fn rfc8785_examples() {
    // Section 3.2.2: the sample input and its canonical form.
    let input = r#"{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#;
    let v: serde_json::Value = serde_json::from_str(input).unwrap();
    assert_eq!(
        to_canonical_string(&v).unwrap(),
        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
    );
    // Section 3.2.3: member order by UTF-16 code units.
    let input = r#"{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let v: serde_json::Value = serde_json::from_str(input).unwrap();
    let out = to_canonical_string(&v).unwrap();
    let order: Vec<&str> = ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"].to_vec();
    let positions: Vec<usize> = order.iter().map(|s| out.find(s).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
    // Nested structures, and integers beyond 2^53 are refused.
    let v = serde_json::json!({"b": {"z": [], "a": {}}, "a": -0.0, "c": 9007199254740993u64});
    assert!(matches!(to_canonical_string(&v), Err(CanonicalError::UnsafeInteger(_))));
    let v = serde_json::json!({"b": {"z": [], "a": {}}, "a": -0.0, "c": -9007199254740992i64});
    assert_eq!(to_canonical_string(&v).unwrap(), r#"{"a":0,"b":{"a":{},"z":[]},"c":-9007199254740992}"#);
}

#[test]
fn tile_garbage_is_refused() {
    for bad in ["", "tile/", "tile/0/", "tile/0/abc", "tile/entries/000.p/", "tile/0/000.p/x", "tile/0/x999/x999/x999/x999/x999/x999/x999/000"] {
        assert!(TileId::parse(bad).is_err(), "{bad:?}");
    }
    assert!(decode_bundle(&[0xff, 0xff, 1, 2]).is_err());
}
