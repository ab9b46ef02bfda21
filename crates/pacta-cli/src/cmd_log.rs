//! The auditor's tools: `pacta log key|checkpoint|prove|export` and
//! `pacta verify receipt|log`. The `verify` commands trust nothing but the log's public key.

use crate::logkey::{self, LogKeyArgs};
use crate::output;
use anyhow::{Context, bail};
use clap::Subcommand;
use pacta_ledger::note::NoteVerifier;
use pacta_ledger::receipt::Receipt;
use pacta_ledger::tiles::{self, TileKind, TileSource};
use pacta_ledger::tree::MemoryTree;
use pacta_store::Store;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum LogCommand {
    /// Print the log's verifier key (a signed-note vkey string).
    Key,
    /// Print the latest signed checkpoint, signing a new one first if the log has grown.
    Checkpoint,
    /// Write an offline receipt (C2SP tlog-proof) that an entry is in the log.
    Prove {
        /// A log index, or an incident (its id or DATASET:RECORD_ID) for its latest entry.
        entry: String,
        /// Write the receipt here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write the opening of a sealed entry (its actor, kind, record and salt), which
    /// `pacta verify receipt --opening` checks against the entry. Servers hand it to the
    /// entry's actor only (`GET /api/v1/log/openings/{index}`).
    Opening {
        index: u64,
        /// Write the opening here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write the checkpoint, hash tiles and entry bundles in the C2SP tlog-tiles layout.
    Export { dir: PathBuf },
}

#[derive(Subcommand)]
pub enum VerifyCommand {
    /// Check a receipt against the log's public key.
    Receipt {
        file: PathBuf,
        /// The log's verifier key (name+id+base64).
        #[arg(long)]
        key: String,
        /// The entry's bytes, when the receipt does not carry them.
        #[arg(long)]
        entry: Option<PathBuf>,
        /// A sealed entry's opening (JSON, from `GET /api/v1/log/openings/{index}` or
        /// `pacta log opening`): checks that the entry commits to exactly that change.
        #[arg(long)]
        opening: Option<PathBuf>,
    },
    /// Recompute a whole published log from its entries and check every checkpoint in it.
    Log {
        /// A directory in the tlog-tiles layout (as written by `pacta log export`), or the
        /// URL of a serving registry (`http://HOST:PORT/`, the prefix of `/checkpoint`).
        dir: String,
        #[arg(long)]
        key: String,
    },
}

/// Opens the store and its signing key, and signs a checkpoint if the log has grown.
async fn open_signed(db: &str, keys: &LogKeyArgs) -> anyhow::Result<(Store, pacta_ledger::checkpoint::Checkpoint, String)> {
    let store = Store::open(db).await?;
    let signer = logkey::load_or_create(db, keys)?;
    let latest = store.sign_checkpoint(&signer).await?.context("the log is empty: nothing has been recorded yet")?;
    let opened = pacta_ledger::checkpoint::open_checkpoint(&latest.note, &[&signer.verifier()])?;
    Ok((store, opened.checkpoint, latest.note))
}

pub async fn run_log(db: &str, keys: &LogKeyArgs, cmd: LogCommand) -> anyhow::Result<()> {
    match cmd {
        LogCommand::Key => {
            // Printing the key is a read: it never creates a database, and never a second
            // private key for a log that already has its identity.
            crate::require_database(db).context("`pacta log key` prints an existing log's key")?;
            let store = Store::open(db).await?;
            // A log that has signed anything has its public key on record: that is the
            // answer, whatever key file the flags name.
            if let Some(bound) = store.log_vkey().await? {
                store.close().await;
                return output::print(&(bound + "\n"));
            }
            let signer = logkey::load_or_create(db, keys)?;
            store.bind_log_key(&signer).await?;
            output::print(&(signer.verifier().to_vkey() + "\n"))
        }
        LogCommand::Checkpoint => {
            let (_, _, note) = open_signed(db, keys).await?;
            output::print(&note)
        }
        LogCommand::Prove { entry, out } => {
            let (store, checkpoint, note) = open_signed(db, keys).await?;
            let index = match entry.parse::<u64>() {
                Ok(i) => i,
                Err(_) => store.get_incident(&entry).await?.with_context(|| format!("no incident {entry:?} in the registry"))?.log_index,
            };
            if index >= checkpoint.size {
                bail!("entry {index} is not in the log, whose signed size is {}", checkpoint.size);
            }
            let tree = signed_tree(&store, &checkpoint).await?;
            let mut receipt = Receipt::from_tree(&tree, index, &note)?;
            // The entry rides along as the receipt's unauthenticated extra data; the
            // verifier hashes it and checks the hash against the signed tree, so it is
            // authenticated after all.
            let entry_bytes = store.log_entries(index, index + 1).await?.pop().context("the entry vanished")?.entry;
            if Some(pacta_ledger::hash::leaf_hash(&entry_bytes)) != tree.leaf_hash(index) {
                bail!("entry {index} as stored does not hash to its leaf: the database was altered; no receipt was written");
            }
            receipt.extra = Some(entry_bytes);
            write_out(&receipt.to_text(), out, &format!("the receipt for entry {index}"))
        }
        LogCommand::Opening { index, out } => {
            crate::require_database(db)?;
            let store = Store::open(db).await?;
            let opening = store.opening(index).await?.with_context(|| format!("entry {index} has no opening: an opening is kept for each sealed entry but those of bulk imports"))?;
            write_out(&(serde_json::to_string_pretty(&opening)? + "\n"), out, &format!("the opening of entry {index}"))
        }
        LogCommand::Export { dir } => {
            let (store, checkpoint, note) = open_signed(db, keys).await?;
            export(&store, &checkpoint, &note, &dir).await
        }
    }
}

/// Writes `text` to `out` (saying what was written where), or to standard output.
fn write_out(text: &str, out: Option<PathBuf>, what: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {what} to {}", path.display());
            Ok(())
        }
        None => output::print(text),
    }
}

async fn export(store: &Store, checkpoint: &pacta_ledger::checkpoint::Checkpoint, note: &str, dir: &Path) -> anyhow::Result<()> {
    let size = checkpoint.size;
    let tree = signed_tree(store, checkpoint).await?;
    let history = store.checkpoint_history().await?;
    // A directory holding another log's checkpoints would publish a mix that no auditor
    // can verify: refuse it rather than leave stale files beside ours.
    if let Ok(read) = std::fs::read_dir(dir) {
        for e in read.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = name.strip_prefix("checkpoint.")
                && !history.iter().any(|c| c.size.to_string() == n && c.size <= size)
            {
                bail!("{} holds {name}, which this log did not sign at that size: export into an empty directory (nothing was written)", dir.display());
            }
        }
    }
    let mut written = 0usize;
    let write = |rel: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    };
    for tile in tiles::tiles_for_size(size) {
        let bytes = match tile.kind {
            TileKind::Hash { .. } => tiles::hash_tile(&tree, tile)?,
            TileKind::Entries => {
                let start = tile.index * tiles::TILE_WIDTH;
                let entries = store.log_entries(start, start + u64::from(tile.width)).await?;
                for (k, e) in entries.iter().enumerate() {
                    let index = start + k as u64;
                    if Some(pacta_ledger::hash::leaf_hash(&e.entry)) != tree.leaf_hash(index) {
                        bail!("entry {index} as stored does not hash to its leaf: the database was altered since it was logged");
                    }
                }
                tiles::encode_bundle(&entries.iter().map(|e| e.entry.as_slice()).collect::<Vec<_>>())?
            }
        };
        write(&tile.path(), &bytes)?;
        written += 1;
    }
    // Every checkpoint the log has signed, as checkpoint.<size>, so an auditor can check
    // each against the next; `checkpoint` is the latest, as tlog-tiles clients expect.
    // Only the latest partial tiles are written, as a live log keeps them: an older
    // checkpoint's partial tile is the prefix of a wider one, which the audit reads
    // (`tiles::audit`), so a log signed every second does not publish one per second.
    let mut signed = 0;
    for c in history.iter().filter(|c| c.size <= size) {
        write(&format!("checkpoint.{}", c.size), c.note.as_bytes())?;
        signed += 1;
    }
    write("checkpoint", note.as_bytes())?;
    println!("exported {size} entries: {written} tiles and bundles, {signed} checkpoint(s), to {}", dir.display());
    Ok(())
}

struct DirSource(PathBuf);

impl TileSource for DirSource {
    fn get(&self, path: &str) -> Option<Vec<u8>> {
        // Tile paths are relative and made of checked segments; refuse anything else.
        if path.split('/').any(|s| s == ".." || s.is_empty()) {
            return None;
        }
        std::fs::read(self.0.join(path)).ok()
    }
}

pub fn run_verify(cmd: VerifyCommand) -> anyhow::Result<()> {
    match cmd {
        VerifyCommand::Receipt { file, key, entry, opening } => {
            let verifier = NoteVerifier::parse(&key).with_context(|| format!("--key {key:?} is not a signed-note verifier key"))?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let receipt = Receipt::parse(&text).with_context(|| format!("{} is not a tlog-proof receipt", file.display()))?;
            let entry_bytes = match (entry, &receipt.extra) {
                (Some(path), _) => std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?,
                (None, Some(extra)) => extra.clone(),
                (None, None) => bail!("the receipt carries no entry; pass --entry FILE with the entry's bytes"),
            };
            let verified = receipt.verify_entry(&entry_bytes, &verifier, &[], 0)?;
            // The receipt proves the entry; an opening then proves what the entry is.
            if let Some(path) = opening {
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                let o: pacta_store::log::Opening = serde_json::from_str(&text).with_context(|| format!("{} is not an opening (JSON with index, actor, kind, record, salt, tlp, time)", path.display()))?;
                if o.index != receipt.index {
                    bail!("the opening is of entry {}, the receipt of entry {}", o.index, receipt.index);
                }
                o.check(&entry_bytes).map_err(|why| anyhow::anyhow!("the opening does not open entry {}: {why}", o.index))?;
                println!(
                    "OK: entry {} ({} by {} at {}, sealed TLP:{}) is in the log {} at size {}, root {}; it commits to the record in {}",
                    receipt.index,
                    o.kind,
                    o.actor,
                    o.time,
                    o.tlp,
                    verified.checkpoint.origin,
                    verified.checkpoint.size,
                    pacta_ledger::hash::to_hex(&verified.checkpoint.root),
                    path.display()
                );
                return Ok(());
            }
            let summary = serde_json::from_slice::<serde_json::Value>(&entry_bytes)
                .ok()
                .map(|v| match v["actor"].as_str() {
                    Some(actor) => format!(" ({} by {actor} at {})", v["kind"].as_str().unwrap_or("?"), v["time"].as_str().unwrap_or("?")),
                    None => format!(" (sealed, {}, at {})", v["record"]["tlp"].as_str().unwrap_or("?"), v["time"].as_str().unwrap_or("?")),
                })
                .unwrap_or_default();
            println!(
                "OK: entry {}{summary} is in the log {} at size {}, root {}",
                receipt.index,
                verified.checkpoint.origin,
                verified.checkpoint.size,
                pacta_ledger::hash::to_hex(&verified.checkpoint.root)
            );
            Ok(())
        }
        VerifyCommand::Log { dir, key } => {
            let verifier = NoteVerifier::parse(&key).with_context(|| format!("--key {key:?} is not a signed-note verifier key"))?;
            let report = if dir.starts_with("http://") || dir.starts_with("https://") {
                // A live log publishes only its latest checkpoint; its history is in the
                // tiles, which the audit recomputes from the entries.
                let source = HttpSource::new(&dir)?;
                tiles::audit(&source, &verifier, &["checkpoint"]).map_err(|e| source.explain(e))?
            } else {
                audit_dir(Path::new(&dir), &verifier)?
            };
            println!(
                "OK: {} entries recomputed; {} checkpoint(s) verified, each consistent with the next; {} hash tiles and {} entry bundles match byte for byte",
                report.entries,
                report.checkpoints.len(),
                report.tiles_checked,
                report.bundles_checked
            );
            Ok(())
        }
    }
}

/// Audits an exported log directory with every historical checkpoint in it.
fn audit_dir(dir: &Path, verifier: &NoteVerifier) -> anyhow::Result<tiles::AuditReport> {
    if !dir.exists() {
        bail!("{} does not exist", dir.display());
    }
    if !dir.join("checkpoint").is_file() {
        bail!("{} has no checkpoint file: not a tlog-tiles log directory", dir.display());
    }
    let mut names: Vec<(u64, String)> = std::fs::read_dir(dir)?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            // Every checkpoint.<something> is audited, so that a misnamed one (a copy, a
            // leading zero) is refused rather than skipped.
            name.strip_prefix("checkpoint.").map(|n| (n.parse::<u64>().unwrap_or(u64::MAX), name.clone()))
        })
        .collect();
    names.sort();
    let mut paths: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
    paths.push("checkpoint");
    Ok(tiles::audit(&DirSource(dir.to_path_buf()), verifier, &paths)?)
}

/// A served log, read over plain HTTP with a small blocking client.
struct HttpSource {
    base: String,
    agent: ureq::Agent,
    /// The first failure that was not a plain 404, so that "missing" can be explained
    /// (a refused connection is not the same finding as a log that lacks a tile).
    trouble: std::cell::RefCell<Option<String>>,
}

impl HttpSource {
    fn new(url: &str) -> anyhow::Result<HttpSource> {
        if url.starts_with("https://") {
            bail!("{url}: this build of pacta reads logs over plain http:// only; fetch over TLS with a proxy, or `pacta log export` on the server and verify the directory");
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            // Our own 404s are findings, not transport errors.
            .http_status_as_error(false)
            .build();
        Ok(HttpSource { base: url.trim_end_matches('/').to_string(), agent: config.into(), trouble: Default::default() })
    }

    fn explain(&self, e: tiles::AuditError) -> anyhow::Error {
        let finding = anyhow::Error::new(e);
        match self.trouble.borrow().clone() {
            Some(t) => finding.context(format!("while reading {}: {t}", self.base)),
            None => finding.context(format!("the log at {} failed the audit", self.base)),
        }
    }
}

impl TileSource for HttpSource {
    fn get(&self, path: &str) -> Option<Vec<u8>> {
        let url = format!("{}/{path}", self.base);
        let note = |msg: String| {
            self.trouble.borrow_mut().get_or_insert(msg);
        };
        match self.agent.get(&url).call() {
            Ok(mut r) if r.status() == 200 => match r.body_mut().with_config().limit(16 * 1024 * 1024).read_to_vec() {
                Ok(body) => Some(body),
                Err(e) => {
                    note(format!("{url}: {e}"));
                    None
                }
            },
            Ok(r) => {
                if r.status() != 404 {
                    note(format!("{url} answered {}", r.status()));
                }
                None
            }
            Err(e) => {
                note(format!("{url}: {e}"));
                None
            }
        }
    }
}

/// The tree of the stored leaf hashes up to `checkpoint`, refused unless its root is the one
/// the checkpoint signs: a database edited behind the log (an entry rewritten with its leaf
/// hash recomputed) would otherwise yield receipts and tiles that no verifier accepts.
async fn signed_tree(store: &Store, checkpoint: &pacta_ledger::checkpoint::Checkpoint) -> anyhow::Result<MemoryTree> {
    let tree = MemoryTree::from_leaf_hashes(store.log_leaf_hashes(0, checkpoint.size).await?);
    let root = tree.root_at(checkpoint.size)?;
    if root != checkpoint.root {
        bail!(
            "the stored log no longer matches its signed checkpoint {} (it signs root {}, the stored entries give {}): the database was altered; nothing was written",
            checkpoint.size,
            pacta_ledger::hash::to_hex(&checkpoint.root),
            pacta_ledger::hash::to_hex(&root)
        );
    }
    Ok(tree)
}
