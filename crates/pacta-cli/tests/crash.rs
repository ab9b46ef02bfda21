//! The crash test: a child process appends entries through the sequencer and is killed
//! with SIGKILL at random moments, twenty times. After each kill, every entry it had
//! acknowledged is present, the tree verifies, and every checkpoint ever signed is
//! consistent with the current tree.

use pacta_ledger::tree::{MemoryTree, verify_consistency};
use pacta_store::Store;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fixed-seed generator so a failing run can be replayed exactly.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

async fn check_log(url: &str, acked: &BTreeSet<u64>, round: usize) {
    let store = Store::open(url).await.unwrap_or_else(|e| panic!("round {round}: reopening after SIGKILL failed: {e}"));
    let size = store.log_size().await.unwrap();
    if let Some(max) = acked.last() {
        assert!(*max < size, "round {round}: entry {max} was acknowledged but the log has only {size} entries");
    }
    let entries = store.log_entries(0, size).await.unwrap();
    assert_eq!(entries.len() as u64, size, "round {round}: the log has holes");
    let mut tree = MemoryTree::new();
    for e in &entries {
        assert_eq!(e.leaf_hash, pacta_ledger::hash::leaf_hash(&e.entry), "round {round}: entry {} does not hash to its stored leaf", e.index);
        tree.append(e.leaf_hash);
    }
    for index in acked {
        assert!(*index < size, "round {round}: acknowledged entry {index} is missing");
    }
    let history = store.checkpoint_history().await.unwrap();
    let mut previous: Option<(u64, [u8; 32])> = None;
    for c in &history {
        assert!(c.size <= size, "round {round}: a checkpoint of size {} was signed for a log of {size}", c.size);
        assert_eq!(tree.root_at(c.size).unwrap(), c.root, "round {round}: checkpoint {} does not match the tree", c.size);
        if let Some((old, old_root)) = previous {
            let proof = tree.consistency_proof(old, c.size).unwrap();
            verify_consistency(old, c.size, &old_root, &c.root, &proof).unwrap_or_else(|e| panic!("round {round}: checkpoints {old} and {} are inconsistent: {e}", c.size));
        }
        previous = Some((c.size, c.root));
    }
    if let Some(latest) = store.latest_checkpoint().await.unwrap() {
        assert_eq!(Some(&latest), history.last(), "round {round}: the latest checkpoint is not the last one signed");
    }
    store.close().await;
}

#[test]
fn acknowledged_entries_survive_sigkill_twenty_times() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut rng = Lcg(20261122);
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    let mut rounds_with_acks = 0;
    for round in 0..20 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pacta"))
            .args(["bench", "appends", "--db", &url, "--seconds", "60", "--submitters", "32", "--print-acks"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the appending child");
        let stdout = child.stdout.take().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let seen = seen.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(i) = line.strip_prefix("ack ").and_then(|n| n.parse::<u64>().ok()) {
                        seen.lock().unwrap().push(i);
                    }
                }
            })
        };
        // Kill at a random moment: some rounds die during start-up, most mid-batch.
        std::thread::sleep(Duration::from_millis(300 + rng.below(900)));
        child.kill().expect("SIGKILL the child");
        child.wait().unwrap();
        reader.join().unwrap();
        let new: Vec<u64> = seen.lock().unwrap().clone();
        if !new.is_empty() {
            rounds_with_acks += 1;
        }
        acked.extend(new);
        runtime.block_on(check_log(&url, &acked, round));
    }
    assert!(rounds_with_acks >= 10, "only {rounds_with_acks} of 20 rounds acknowledged anything: the test did not exercise the log");
    assert!(acked.len() > 100, "too few acknowledged entries ({}) to mean anything", acked.len());
}
