//! Evidence and its chain of custody: stories, each run on SQLite and on PostgreSQL.

use pacta_core::*;
use pacta_ledger::note::NoteSigner;
use pacta_store::Store;
use pacta_store::evidence::{self, CustodyKind, EvidenceId, NewEvidence, Problem};
use pacta_vault::{BlobHash, Vault};

mod support;
use support::*;

fn lab() -> PartyId {
    party("verifier:forensic-lab")
}

fn ministry() -> PartyId {
    party("state:FR")
}

/// A party with a registered signing key.
async fn custodian(store: &Store, id: &PartyId, seed: u8) -> NoteSigner {
    let signer = NoteSigner::from_seed(id.as_str(), [seed; 32]).unwrap();
    let reg = store
        .register_party_key(id, id, &signer.verifier().to_vkey())
        .await
        .unwrap();
    assert!(reg.new);
    signer
}

fn artefact(vault: &Vault, bytes: &[u8], name: &str) -> NewEvidence {
    let put = vault.put(bytes).unwrap();
    NewEvidence {
        sha256: put.hash,
        size: put.size,
        name: name.into(),
        description: "seized from the command-and-control server".into(),
        media_type: None,
        tlp: Tlp::Amber,
        incident: None,
        received_from: None,
    }
}

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_receives_an_artefact_the_ministry_analyses_it_verify_passes_and_then_names_a_flipped_byte()
 {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("story");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let lab_key = custodian(store, &lab(), 1).await;
        let ministry_key = custodian(store, &ministry(), 2).await;
        let (incident, _) = store
            .report_incident(
                IncidentRecord::new(Incident::new("Grid operator breach", Tlp::Amber)),
                &ministry(),
            )
            .await
            .unwrap();

        let mut new = artefact(&vault, b"MZ\x90\x00 implant sample", "implant.exe");
        new.incident = Some(incident.to_string());
        let (item, received) = store
            .add_evidence(&vault, &lab(), &lab_key, new)
            .await
            .unwrap();
        assert_eq!(
            (item.custodian.clone(), item.incident, item.tlp),
            (lab(), Some(incident), Tlp::Amber)
        );
        assert_eq!(
            (received.statement.kind, received.statement.prior.clone()),
            (CustodyKind::Received, None)
        );

        let transferred = store
            .transfer_evidence(&lab(), &lab_key, item.id, &ministry(), "for attribution")
            .await
            .unwrap();
        assert_eq!(
            transferred.statement.prior.as_deref(),
            Some(received.hash.as_str()),
            "each event names the hash of the one before"
        );
        assert_eq!(
            store
                .get_evidence(item.id)
                .await
                .unwrap()
                .unwrap()
                .custodian,
            ministry()
        );

        let tool = argv(&[
            "sh",
            "-c",
            "wc -c < \"$1\" | tr -d ' ' > \"$2\"",
            "sh",
            "{in:0}",
            "{out:size.txt}",
        ]);
        let (run, outputs) = evidence::analyse(
            store,
            &vault,
            &ministry(),
            &ministry_key,
            "wc",
            "coreutils 9",
            tool,
            vec![item.id],
            &dir.0,
            "size check",
        )
        .await
        .unwrap();
        assert_eq!(outputs.len(), 1);
        assert_eq!(vault.get(&outputs[0].sha256).unwrap(), b"19\n");
        assert_eq!(
            (
                outputs[0].produced_by,
                outputs[0].custodian.clone(),
                outputs[0].incident
            ),
            (Some(run.statement.run), ministry(), Some(incident))
        );
        assert_eq!(run.statement.inputs[0].sha256, item.sha256.to_hex());

        let chain = store.custody_chain(item.id).await.unwrap();
        let kinds: Vec<CustodyKind> = chain.iter().map(|e| e.statement.kind).collect();
        assert_eq!(
            kinds,
            [
                CustodyKind::Received,
                CustodyKind::Transferred,
                CustodyKind::Analysed
            ]
        );
        let log = store
            .log_entries(0, store.log_size().await.unwrap())
            .await
            .unwrap();
        let log_kinds: Vec<&str> = log.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            log_kinds,
            [
                "party.key_registered",
                "party.key_registered",
                "incident.reported",
                "evidence.received",
                "evidence.transferred",
                "analysis.run",
                "evidence.analysed",
                "evidence.received"
            ]
        );
        assert!(
            log.iter()
                .all(|e| !e.entry.windows(9).any(|w| w == b"implant s")),
            "entries name blobs by hash, never inline their bytes"
        );

        for report in store.verify_all_evidence(&vault).await.unwrap() {
            assert!(report.ok(), "{}: {:?}", report.subject, report.problems);
        }

        // Someone with access to the vault's disk flips one byte.
        let path = vault.path_of(&item.sha256);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[3] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let report = store.verify_evidence(&vault, item.id).await.unwrap();
        assert_eq!(
            report.problems,
            vec![Problem::BlobTampered {
                expected: item.sha256,
                found: BlobHash::of(&bytes)
            }]
        );
        let said = report.problems[0].to_string();
        assert!(
            said.contains(&item.sha256.to_hex()) && said.contains(&BlobHash::of(&bytes).to_hex()),
            "{said}"
        );
        assert!(
            store
                .verify_evidence(&vault, outputs[0].id)
                .await
                .unwrap()
                .ok(),
            "the derived output is a blob of its own"
        );

        // An intruder cuts the chain back: the last event's row goes, and the head is moved
        // back to the event before it. The rows left agree with each other; the log does not.
        let id = item.id;
        tamper(&db.url, &format!("DELETE FROM custody_events WHERE evidence_id = '{id}' AND seq = 2")).await;
        tamper(&db.url, &format!("UPDATE evidence SET head_seq = 1, head_hash = (SELECT hash FROM custody_events WHERE evidence_id = '{id}' AND seq = 1) WHERE id = '{id}'")).await;
        let report = store.verify_log_has_every_record().await.unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0].to_string().contains("evidence.analysed entry whose record is gone"), "{}", report.problems[0]);
        // Relabelling the entry in the database, to hide the cut, shows too: the entry is
        // sealed (the artefact is AMBER), but it committed to its kind.
        let Problem::LogEntry { index, .. } = &report.problems[0] else { panic!("{:?}", report.problems[0]) };
        tamper(&db.url, &format!("UPDATE log_entries SET kind = 'incident.shared' WHERE idx = {index}")).await;
        let report = store.verify_log_has_every_record().await.unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0].to_string().contains("labelled incident.shared in the database, which is not the kind the sealed entry committed to"), "{}", report.problems[0]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_by_someone_who_is_not_the_custodian_is_refused_and_nothing_is_written() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("refusals");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let lab_key = custodian(store, &lab(), 1).await;
        let ministry_key = custodian(store, &ministry(), 2).await;
        let (item, _) = store
            .add_evidence(
                &vault,
                &lab(),
                &lab_key,
                artefact(&vault, b"pcap", "capture.pcap"),
            )
            .await
            .unwrap();
        let size = store.log_size().await.unwrap();

        let rule = |e: pacta_store::StoreError| match e {
            pacta_store::StoreError::Invalid(i) => i.rule,
            other => panic!("expected a refusal, got {other}"),
        };
        // The ministry does not hold it, even with its own registered key.
        let r = rule(
            store
                .transfer_evidence(&ministry(), &ministry_key, item.id, &ministry(), "")
                .await
                .unwrap_err(),
        );
        assert!(r.contains("already the custodian"), "{r}");
        let r = rule(
            store
                .transfer_evidence(&ministry(), &ministry_key, item.id, &lab(), "")
                .await
                .unwrap_err(),
        );
        assert!(
            r.contains("not the custodian") && r.contains("verifier:forensic-lab is"),
            "{r}"
        );
        // The lab signing with a key nobody registered.
        let stranger = NoteSigner::from_seed("verifier:forensic-lab", [9; 32]).unwrap();
        let r = rule(
            store
                .transfer_evidence(&lab(), &stranger, item.id, &ministry(), "")
                .await
                .unwrap_err(),
        );
        assert!(r.contains("not registered"), "{r}");
        // The lab signing with the ministry's key.
        let r = rule(
            store
                .transfer_evidence(&lab(), &ministry_key, item.id, &ministry(), "")
                .await
                .unwrap_err(),
        );
        assert!(r.contains("registered to state:FR"), "{r}");
        // A recipient that could never sign for it.
        let r = rule(
            store
                .transfer_evidence(&lab(), &lab_key, item.id, &party("state:DE"), "")
                .await
                .unwrap_err(),
        );
        assert!(r.starts_with("unknown party"), "{r}");
        // Unknown artefact, unknown incident, bytes not in the vault.
        let r = rule(
            store
                .transfer_evidence(&lab(), &lab_key, EvidenceId::new(), &ministry(), "")
                .await
                .unwrap_err(),
        );
        assert!(r.starts_with("unknown evidence"), "{r}");
        let mut orphan = artefact(&vault, b"x", "x");
        orphan.incident = Some("eurepoc:999999".into());
        let r = rule(
            store
                .add_evidence(&vault, &lab(), &lab_key, orphan)
                .await
                .unwrap_err(),
        );
        assert!(r.starts_with("unknown incident"), "{r}");
        let mut absent = artefact(&vault, b"y", "y");
        absent.sha256 = BlobHash::of(b"never put in the vault");
        let r = rule(
            store
                .add_evidence(&vault, &lab(), &lab_key, absent)
                .await
                .unwrap_err(),
        );
        assert!(r.contains("not in the vault"), "{r}");
        // Someone else registering the lab's key.
        let r = rule(
            store
                .register_party_key(&ministry(), &lab(), &stranger.verifier().to_vkey())
                .await
                .unwrap_err(),
        );
        assert!(r.contains("only verifier:forensic-lab may register"), "{r}");
        let r = rule(
            store
                .register_party_key(&lab(), &lab(), "not a key")
                .await
                .unwrap_err(),
        );
        assert!(r.contains("not a verifier key"), "{r}");
        // A key named for another party: its signatures would carry that party's name.
        let impostor = NoteSigner::from_seed("state:UA", [9; 32]).unwrap();
        let r = rule(
            store
                .register_party_key(&lab(), &lab(), &impostor.verifier().to_vkey())
                .await
                .unwrap_err(),
        );
        assert!(r.contains("key's name, but it is registered for verifier:forensic-lab"), "{r}");

        assert_eq!(
            store.log_size().await.unwrap(),
            size,
            "no refusal appended anything to the log"
        );
        assert_eq!(store.custody_chain(item.id).await.unwrap().len(), 1);
        assert_eq!(
            store
                .get_evidence(item.id)
                .await
                .unwrap()
                .unwrap()
                .custodian,
            lab()
        );

        // Once released, the chain is closed, even for the custodian.
        store
            .release_evidence(&lab(), &lab_key, item.id, None, "case closed")
            .await
            .unwrap();
        let r = rule(
            store
                .transfer_evidence(&lab(), &lab_key, item.id, &ministry(), "")
                .await
                .unwrap_err(),
        );
        assert!(r.contains("was released"), "{r}");
        assert!(store.verify_evidence(&vault, item.id).await.unwrap().ok());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_working_copy_is_a_new_artefact_and_the_original_is_never_replaced() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("copy");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let lab_key = custodian(store, &lab(), 1).await;
        custodian(store, &ministry(), 2).await;
        let (original, _) = store
            .add_evidence(
                &vault,
                &lab(),
                &lab_key,
                artefact(&vault, b"disk image", "disk.img"),
            )
            .await
            .unwrap();

        let (copy, copied, received) = store
            .copy_evidence(
                &lab(),
                &lab_key,
                original.id,
                Some(&ministry()),
                "for the ministry's analysts",
            )
            .await
            .unwrap();
        assert_ne!(copy.id, original.id);
        assert_eq!(
            (copy.copy_of, copy.sha256, copy.custodian.clone()),
            (Some(original.id), original.sha256, ministry())
        );
        assert_eq!(
            (copied.statement.kind, copied.statement.copy),
            (CustodyKind::Copied, Some(copy.id))
        );
        assert_eq!(
            (received.statement.seq, received.statement.copy_of),
            (0, Some(original.id))
        );
        let after = store.get_evidence(original.id).await.unwrap().unwrap();
        assert_eq!(
            (after.custodian, after.sha256, after.copy_of, after.events),
            (lab(), original.sha256, None, 2),
            "the original keeps its holder and bytes"
        );

        // Exporting the copy over an existing file is refused; the file is kept.
        let work = dir.0.join("work.img");
        std::fs::write(&work, b"notes").unwrap();
        assert!(matches!(
            vault.export(&copy.sha256, &work),
            Err(pacta_vault::VaultError::WouldOverwrite { .. })
        ));
        assert_eq!(std::fs::read(&work).unwrap(), b"notes");
        for id in [original.id, copy.id] {
            let report = store.verify_evidence(&vault, id).await.unwrap();
            assert!(report.ok(), "{:?}", report.problems);
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerunning_a_recorded_analysis_reproduces_its_outputs_and_a_changed_tool_output_is_a_mismatch()
 {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("rerun");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let key = custodian(store, &ministry(), 2).await;
        let (item, _) = store
            .add_evidence(
                &vault,
                &ministry(),
                &key,
                artefact(&vault, b"beacon to 203.0.113.7\n", "beacon.log"),
            )
            .await
            .unwrap();
        let tool = dir.0.join("extract-iocs.sh");
        std::fs::write(
            &tool,
            "grep -o '[0-9.]*[0-9]' \"$1\" > \"$2\"\necho v1 > \"$3\"\n",
        )
        .unwrap();
        let cmd = argv(&[
            "sh",
            tool.to_str().unwrap(),
            "{in:0}",
            "{out:iocs.txt}",
            "{out:banner.txt}",
        ]);
        let (run, outputs) = evidence::analyse(
            store,
            &vault,
            &ministry(),
            &key,
            "extract-iocs",
            "1.0",
            cmd,
            vec![item.id],
            &dir.0,
            "",
        )
        .await
        .unwrap();
        assert_eq!(vault.get(&outputs[0].sha256).unwrap(), b"203.0.113.7\n");

        let (_, checks) = evidence::rerun(store, &vault, run.statement.run, &dir.0)
            .await
            .unwrap();
        assert_eq!(checks.len(), 2);
        assert!(checks.iter().all(|c| c.matches()), "{checks:?}");

        // The tool is "upgraded" in place: same name, different output for one file.
        std::fs::write(
            &tool,
            "grep -o '[0-9.]*[0-9]' \"$1\" > \"$2\"\necho v2 > \"$3\"\n",
        )
        .unwrap();
        let (_, checks) = evidence::rerun(store, &vault, run.statement.run, &dir.0)
            .await
            .unwrap();
        let iocs = checks.iter().find(|c| c.name == "iocs.txt").unwrap();
        let banner = checks.iter().find(|c| c.name == "banner.txt").unwrap();
        assert!(iocs.matches());
        assert!(!banner.matches());
        assert_eq!(
            (banner.expected.as_str(), banner.found.as_str()),
            (
                BlobHash::of(b"v1\n").to_hex().as_str(),
                BlobHash::of(b"v2\n").to_hex().as_str()
            )
        );
        assert!(
            store
                .verify_run(&vault, run.statement.run)
                .await
                .unwrap()
                .ok(),
            "a re-run writes nothing"
        );

        // An intruder edits the recorded command in the database. A verifier re-running it
        // must not execute the edit: the statement no longer matches its signed hash.
        let planted = dir.0.join("planted");
        let sql = format!(
            "UPDATE analysis_runs SET body = REPLACE(body, '\"sh\"', '\"sh\",\"-c\",\"touch {}\",\"sh\"') WHERE id = '{}'",
            planted.display(),
            run.statement.run
        );
        tamper(&db.url, &sql).await;
        let err = evidence::rerun(store, &vault, run.statement.run, &dir.0).await.unwrap_err().to_string();
        assert!(err.contains("does not verify, so nothing was run"), "{err}");
        assert!(!planted.exists(), "the edited command ran");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_custody_records_are_named_by_verify_and_garbage_does_not_panic() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("forgery");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let lab_key = custodian(store, &lab(), 1).await;
        custodian(store, &ministry(), 2).await;
        let (item, _) = store
            .add_evidence(
                &vault,
                &lab(),
                &lab_key,
                artefact(&vault, b"memory dump", "mem.raw"),
            )
            .await
            .unwrap();
        let transfer = store
            .transfer_evidence(&lab(), &lab_key, item.id, &ministry(), "")
            .await
            .unwrap();
        assert!(store.verify_evidence(&vault, item.id).await.unwrap().ok());

        // Rewriting who received it, and re-hashing to cover the tracks: the signature fails
        // and the log entry disagrees.
        let forged_body = transfer.statement_body_with_to("state:DE");
        let forged_hash = BlobHash::of(forged_body.as_bytes()).to_hex();
        tamper(&db.url, &format!("UPDATE custody_events SET body = '{forged_body}', hash = '{forged_hash}' WHERE evidence_id = '{}' AND seq = 1", item.id)).await;
        let report = store.verify_evidence(&vault, item.id).await.unwrap();
        let said: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        assert!(
            said.iter()
                .any(|s| s.starts_with("event 1: signature does not verify")),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|s| s.starts_with("event 1: log entry")
                    && s.contains("records something other")),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|s| s.contains("the record says state:FR holds it")),
            "{said:?}"
        );

        // Garbage in every column verification reads: reported, never a panic.
        tamper(&db.url, &format!("UPDATE custody_events SET body = '{{not json' WHERE evidence_id = '{}' AND seq = 1", item.id)).await;
        tamper(&db.url, &format!("UPDATE custody_events SET hash = 'zz', signature = '\u{2014} x !!' WHERE evidence_id = '{}' AND seq = 0", item.id)).await;
        let report = store.verify_evidence(&vault, item.id).await.unwrap();
        let said: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        assert!(
            said.iter()
                .any(|s| s.starts_with("event 0: statement hashes to")),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|s| s.starts_with("event 0: signature does not verify")
                    && s.contains("signature line 1")),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|s| s.starts_with("event 1: statement is unreadable")),
            "{said:?}"
        );
        // A description rewritten behind the store's back disagrees with the logged one.
        tamper(&db.url, &format!("UPDATE evidence SET description = 'planted' WHERE id = '{}'", item.id)).await;
        let report = store.verify_evidence(&vault, item.id).await.unwrap();
        assert!(report.problems.iter().any(|p| p.to_string().contains("the logged metadata and the artefact's columns disagree")), "{:?}", report.problems);
        tamper(
            &db.url,
            &format!(
                "UPDATE evidence SET sha256 = 'not a hash' WHERE id = '{}'",
                item.id
            ),
        )
        .await;
        let report = store.verify_evidence(&vault, item.id).await.unwrap();
        assert!(!report.ok());
    });
}

trait Forge {
    fn statement_body_with_to(&self, to: &str) -> String;
}
impl Forge for pacta_store::evidence::CustodyEvent {
    fn statement_body_with_to(&self, to: &str) -> String {
        let mut st = self.statement.clone();
        st.to = Some(party(to));
        pacta_store::write::canonical_json(&st).unwrap()
    }
}

/// The log holds each record in canonical form (sorted keys), so that whoever holds an
/// artefact's record can reproduce the entry, or the commitment a marked one is logged as.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_artefacts_first_custody_record_is_logged_in_canonical_form() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("canonical");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let key = custodian(store, &lab(), 1).await;
        let clear = NewEvidence { tlp: Tlp::Clear, ..artefact(&vault, b"public sample", "sample.bin") };
        let (_, event) = store.add_evidence(&vault, &lab(), &key, clear).await.unwrap();
        let entry = store.log_entries(event.log_index, event.log_index + 1).await.unwrap().pop().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&entry.entry).unwrap();
        let record = &v["record"];
        assert!(record.get("evidence").is_some(), "{record}");
        assert_eq!(record.to_string(), pacta_ledger::canonical::to_canonical_string(record).unwrap());
        for report in store.verify_all_evidence(&vault).await.unwrap() {
            assert!(report.ok(), "{}: {:?}", report.subject, report.problems);
        }
    });
}

/// A ministry compares a public malware sample with an artefact seized under AMBER. The
/// run is as restricted as its strictest input, and so is everything the run's one write
/// logs: the public sample's `analysed` event names the run, the tool and its version, and
/// an open entry beside the sealed ones would also name who ran it. So the public log shows
/// only sealed entries for the whole run, and verification still holds every one of them
/// to its record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analysis_over_a_public_sample_and_a_restricted_artefact_shows_nothing_of_itself_in_the_public_log() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("mixed-run");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let key = custodian(store, &ministry(), 2).await;
        let public = NewEvidence { tlp: Tlp::Clear, ..artefact(&vault, b"published sample", "sample.bin") };
        let (sample, _) = store.add_evidence(&vault, &ministry(), &key, public).await.unwrap();
        let (seized, _) = store.add_evidence(&vault, &ministry(), &key, artefact(&vault, b"seized implant", "implant.bin")).await.unwrap();
        let before = store.log_size().await.unwrap();

        let cmd = argv(&["sh", "-c", "cmp -s \"$1\" \"$2\"; echo $? > \"$3\"", "sh", "{in:0}", "{in:1}", "{out:same.txt}"]);
        let (run, outputs) = evidence::analyse(store, &vault, &ministry(), &key, "cmp", "diffutils 3", cmd, vec![sample.id, seized.id], &dir.0, "same family?")
            .await
            .unwrap();
        assert_eq!(outputs[0].tlp, Tlp::Amber);

        let written = store.log_entries(before, store.log_size().await.unwrap()).await.unwrap();
        assert_eq!(written.len(), 4, "the run, two analysed events, the output's receipt");
        for entry in &written {
            let shown: serde_json::Value = serde_json::from_slice(&entry.entry).unwrap();
            assert_eq!(shown["kind"], "sealed", "entry {} ({}) is open: {shown}", entry.index, entry.kind);
            assert_eq!(shown["record"]["tlp"], "AMBER", "entry {}: {shown}", entry.index);
            assert!(shown.get("actor").is_none(), "entry {}: {shown}", entry.index);
        }
        // The sample's own chain still records the run, for whoever holds the sample.
        let chain = store.custody_chain(sample.id).await.unwrap();
        assert_eq!(chain.last().unwrap().statement.run, Some(run.statement.run));

        for report in store.verify_all_evidence(&vault).await.unwrap() {
            assert!(report.ok(), "{}: {:?}", report.subject, report.problems);
        }
        assert!(store.verify_run(&vault, run.statement.run).await.unwrap().ok());
        assert!(store.verify_log_has_every_record().await.unwrap().ok());
    });
}

/// A registry that kept its log before entries were sealed holds the changes to restricted
/// records in the open form: actor, kind and the record's commitment. A log never changes,
/// so verification must still accept such an entry for the record it names, and still
/// refuse it for anything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_in_the_open_form_older_logs_hold_still_verifies_against_its_record_and_only_its_own() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("legacy");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let lab_key = custodian(store, &lab(), 1).await;
        custodian(store, &ministry(), 2).await;
        let (item, _) = store.add_evidence(&vault, &lab(), &lab_key, artefact(&vault, b"disk image", "disk.img")).await.unwrap();
        let moved = store.transfer_evidence(&lab(), &lab_key, item.id, &ministry(), "for attribution").await.unwrap();
        let sealed = store.log_entries(moved.log_index, moved.log_index + 1).await.unwrap().remove(0);
        let time = serde_json::from_slice::<serde_json::Value>(&sealed.entry).unwrap()["time"].as_str().unwrap().to_string();

        // The record as the log commits to it: the signed statement, its hash, signature and key.
        let statement: serde_json::Value = serde_json::from_str(&pacta_store::write::canonical_json(&moved.statement).unwrap()).unwrap();
        let record = serde_json::json!({ "event": statement, "hash": moved.hash, "signature": moved.signature, "vkey": moved.vkey }).to_string();
        let rewrite = |entry: String| {
            let hash = hex::encode(pacta_ledger::hash::leaf_hash(entry.as_bytes()));
            let bytes = hex::encode(entry.as_bytes());
            let (entry, leaf) = if db.url.starts_with("postgres") {
                (format!("decode('{bytes}', 'hex')"), format!("decode('{hash}', 'hex')"))
            } else {
                (format!("X'{bytes}'"), format!("X'{hash}'"))
            };
            format!("UPDATE log_entries SET entry = {entry}, leaf_hash = {leaf}, salt = NULL WHERE idx = {}", moved.log_index)
        };
        // Such a log kept no openings either: they came with the seal.
        tamper(&db.url, &format!("DELETE FROM log_openings WHERE idx = {}", moved.log_index)).await;

        let legacy = pacta_store::log::open_entry_json(lab().as_str(), "evidence.transferred", &record, Tlp::Amber, &time);
        assert!(legacy.contains("\"actor\":\"verifier:forensic-lab\"") && !legacy.contains("for attribution"), "the open form names the actor, and commits to the record: {legacy}");
        tamper(&db.url, &rewrite(legacy)).await;
        let report = store.verify_evidence(&vault, item.id).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert!(store.verify_log_has_every_record().await.unwrap().ok());

        // The same form naming someone else, or committing to another record, is refused.
        let other_actor = pacta_store::log::open_entry_json(ministry().as_str(), "evidence.transferred", &record, Tlp::Amber, &time);
        tamper(&db.url, &rewrite(other_actor)).await;
        let report = store.verify_evidence(&vault, item.id).await.unwrap();
        assert!(report.problems.iter().any(|p| p.to_string().contains("names actor \"state:FR\", not the signer verifier:forensic-lab")), "{:?}", report.problems);
        let other_record = pacta_store::log::open_entry_json(lab().as_str(), "evidence.transferred", &record.replace("for attribution", "for the archive"), Tlp::Amber, &time);
        tamper(&db.url, &rewrite(other_record)).await;
        let report = store.verify_evidence(&vault, item.id).await.unwrap();
        assert!(report.problems.iter().any(|p| p.to_string().contains("records something other than what the database holds")), "{:?}", report.problems);
    });
}

/// A media type is what a reader's tools go by: "not a type" is refused by field, and a
/// type with its parameters is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_artefacts_media_type_is_a_media_type_or_it_is_refused() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("media-type");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let key = custodian(store, &lab(), 1).await;
        let with = |m: &str| NewEvidence { media_type: Some(m.into()), ..artefact(&vault, b"capture", "capture.pcap") };
        for bad in ["not a type", "text/", "/plain", "text/pl ain"] {
            let e = store.add_evidence(&vault, &lab(), &key, with(bad)).await.unwrap_err().to_string();
            assert!(e.contains("media_type") && e.contains("RFC 6838"), "{bad}: {e}");
        }
        assert_eq!(store.log_size().await.unwrap(), 1, "only the key's registration was logged");
        for good in ["application/vnd.tcpdump.pcap", "text/plain; charset=utf-8"] {
            store.add_evidence(&vault, &lab(), &key, with(good)).await.unwrap();
        }
    });
}
