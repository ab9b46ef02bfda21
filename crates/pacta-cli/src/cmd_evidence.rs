//! `pacta evidence …`: artefacts in the vault, their chain of custody, analyses and re-runs.
//!
//! The vault (the blobs) sits beside the database: for `sqlite://DIR/pacta.db` it is
//! `DIR/pacta-vault/`; for PostgreSQL `./pacta-vault/`; `--vault DIR` or `PACTA_VAULT`
//! overrides both. Custody events are signed with the acting party's key (`--key FILE`,
//! made by `pacta evidence keygen` and registered with `pacta evidence register-key`).

use crate::output;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use pacta_core::{PartyId, Tlp};
use pacta_ledger::note::NoteSigner;
use pacta_store::Store;
use pacta_store::evidence::{self, CustodyEvent, Evidence, EvidenceId, NewEvidence, RunId};
use pacta_vault::Vault;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct VaultArg {
    /// The vault directory (default: pacta-vault/ beside a SQLite database, ./pacta-vault for PostgreSQL).
    #[arg(long, env = "PACTA_VAULT", value_name = "DIR")]
    vault: Option<PathBuf>,
}

#[derive(Args)]
pub struct KeyArg {
    /// The acting party's signing key (PRIVATE+KEY+… as written by `pacta evidence keygen`).
    #[arg(long, env = "PACTA_CUSTODY_KEY", value_name = "FILE")]
    key: PathBuf,
}

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Make a new Ed25519 signing key: writes the private key to FILE (mode 0600) and prints the verifier key.
    Keygen {
        /// The key's name, e.g. the party id (verifier:forensic-lab).
        name: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Register a verifier key for the acting party (--as), so its signatures count.
    RegisterKey {
        /// The key file made by keygen (its verifier key is derived from it)...
        #[arg(long, value_name = "FILE", conflicts_with = "vkey")]
        key: Option<PathBuf>,
        /// ...or the verifier key itself (name+hexid+base64).
        #[arg(long)]
        vkey: Option<String>,
    },
    /// Put a file in the vault and record it as received by the acting party.
    Add {
        file: PathBuf,
        #[command(flatten)]
        key: KeyArg,
        /// A name for the artefact (default: the file's name).
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        media_type: Option<String>,
        /// TLP 2.0 marking: CLEAR, GREEN, AMBER, AMBER+STRICT or RED.
        #[arg(long, default_value = "AMBER")]
        tlp: String,
        /// The incident it belongs to: its id or DATASET:RECORD_ID.
        #[arg(long)]
        incident: Option<String>,
        /// The registered party it was received from.
        #[arg(long)]
        from: Option<String>,
        #[command(flatten)]
        vault: VaultArg,
    },
    /// List artefacts (of one incident with --incident).
    List {
        #[arg(long)]
        incident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one artefact: metadata, custodian, runs over it.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Show an artefact's chain of custody.
    Custody {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Pass custody to another party (only the custodian may).
    Transfer {
        id: String,
        #[arg(long)]
        to: String,
        #[command(flatten)]
        key: KeyArg,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Make a working copy: a new artefact with the same bytes; the original is untouched.
    Copy {
        id: String,
        #[command(flatten)]
        key: KeyArg,
        /// Who holds the copy (default: the acting party).
        #[arg(long)]
        to: Option<String>,
        /// Also write the copy's bytes to this new file (an existing file is never replaced).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        vault: VaultArg,
    },
    /// Release an artefact from custody; its chain takes no further events.
    Release {
        id: String,
        #[command(flatten)]
        key: KeyArg,
        #[arg(long)]
        to: Option<String>,
        /// Why (required).
        #[arg(long)]
        note: String,
    },
    /// Run a tool over artefacts and record the run; outputs become new artefacts.
    ///
    /// The command follows `--`, as argv (no shell): `{in:N}` is the N-th --input,
    /// `{out:NAME}` a file the tool must write. Example:
    /// pacta evidence analyse --key lab.key --tool yara --tool-version 4.5.0 --input ID -- yara rules.yar {in:0} -o {out:matches.txt}
    Analyse {
        #[command(flatten)]
        key: KeyArg,
        #[arg(long)]
        tool: String,
        #[arg(long = "tool-version")]
        tool_version: String,
        /// An input artefact (repeat for several; {in:0} is the first).
        #[arg(long = "input", required = true)]
        inputs: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        vault: VaultArg,
        #[arg(last = true, required = true, value_name = "ARGV")]
        argv: Vec<String>,
    },
    /// Re-run a recorded analysis and compare its outputs' hashes with the recorded ones.
    Rerun {
        run: String,
        #[command(flatten)]
        vault: VaultArg,
    },
    /// Verify artefacts (all, or one): blob hashes, signatures, the custody chain, the log entries.
    Verify {
        id: Option<String>,
        #[command(flatten)]
        vault: VaultArg,
    },
}

impl VaultArg {
    /// As clap would read it with no flag given: `PACTA_VAULT`, else the default.
    pub fn from_env() -> VaultArg {
        VaultArg { vault: std::env::var_os("PACTA_VAULT").map(PathBuf::from) }
    }
}

/// The vault for `db` (see the module docs).
pub fn vault_dir(db: &str, arg: &VaultArg) -> PathBuf {
    if let Some(dir) = &arg.vault {
        return dir.clone();
    }
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return PathBuf::from("pacta-vault");
    }
    let path = db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))
        .unwrap_or(db);
    let path = path.split('?').next().unwrap_or(path);
    match Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join("pacta-vault"),
        _ => PathBuf::from("pacta-vault"),
    }
}

fn open_vault(db: &str, arg: &VaultArg) -> anyhow::Result<Vault> {
    let dir = vault_dir(db, arg);
    Vault::open(&dir).with_context(|| format!("cannot open the vault at {}", dir.display()))
}

fn load_key(arg: &KeyArg) -> anyhow::Result<NoteSigner> {
    let text = std::fs::read_to_string(&arg.key)
        .with_context(|| format!("cannot read the key file {}", arg.key.display()))?;
    NoteSigner::parse_private_key(text.trim())
        .with_context(|| format!("{} is not a signing key", arg.key.display()))
}

fn party(flag: &str, s: &str) -> anyhow::Result<PartyId> {
    Ok(PartyId::parse(flag, s)?)
}

fn evidence_id(s: &str) -> anyhow::Result<EvidenceId> {
    Ok(EvidenceId::parse(s)?)
}

fn scratch_parent() -> PathBuf {
    std::env::temp_dir()
}

pub async fn run(db: &str, actor: &PartyId, cmd: EvidenceCommand) -> anyhow::Result<()> {
    if let EvidenceCommand::Keygen { name, out } = &cmd {
        return keygen(name, out);
    }
    let store = Store::open(db).await?;
    let result = run_with(&store, db, actor, cmd).await;
    store.close().await;
    result
}

fn keygen(name: &str, out: &Path) -> anyhow::Result<()> {
    let signer = NoteSigner::generate(name)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(out).with_context(|| {
        format!(
            "cannot create {} (an existing key file is never replaced)",
            out.display()
        )
    })?;
    std::io::Write::write_all(
        &mut file,
        format!("{}\n", signer.to_private_key()).as_bytes(),
    )?;
    file.sync_all()?;
    println!("{}", signer.verifier().to_vkey());
    eprintln!(
        "Wrote the private key to {}. Register the verifier key above with: pacta --as PARTY evidence register-key --key {}",
        out.display(),
        out.display()
    );
    Ok(())
}

async fn run_with(
    store: &Store,
    db: &str,
    actor: &PartyId,
    cmd: EvidenceCommand,
) -> anyhow::Result<()> {
    match cmd {
        EvidenceCommand::Keygen { .. } => unreachable!("handled before the database is opened"),
        EvidenceCommand::RegisterKey { key, vkey } => {
            let vkey = match (key, vkey) {
                (Some(path), _) => load_key(&KeyArg { key: path })?.verifier().to_vkey(),
                (None, Some(v)) => v,
                (None, None) => bail!("give --key FILE or --vkey VKEY"),
            };
            let reg = store.register_party_key(actor, actor, &vkey).await?;
            match reg.log_index {
                Some(i) => println!("Registered {vkey} for {actor} (log entry {i})."),
                None => println!("{vkey} was already registered for {actor}; nothing written."),
            }
        }
        EvidenceCommand::Add {
            file,
            key,
            name,
            description,
            media_type,
            tlp,
            incident,
            from,
            vault,
        } => {
            let signer = load_key(&key)?;
            let tlp = Tlp::parse("--tlp", &tlp)?;
            let from = from.map(|f| party("--from", &f)).transpose()?;
            let vault = open_vault(db, &vault)?;
            if !file.is_file() {
                bail!("{} is not a file: an artefact is one file's bytes", file.display());
            }
            // The bytes are durable in the vault before the record that names them is written.
            let put = vault.put_file(&file).with_context(|| format!("cannot put {} in the vault", file.display()))?;
            let name = name.unwrap_or_else(|| {
                file.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "artefact".into())
            });
            let new = NewEvidence {
                sha256: put.hash,
                size: put.size,
                name,
                description,
                media_type,
                tlp,
                incident,
                received_from: from,
            };
            let (item, event) = store.add_evidence(&vault, actor, &signer, new).await?;
            println!(
                "Added evidence {} (sha256 {}, {} bytes, TLP:{}), held by {}; log entry {}.",
                item.id, item.sha256, item.size, item.tlp, item.custodian, event.log_index
            );
            if !put.new {
                println!("The vault already held these bytes; the blob was not written again.");
            }
        }
        EvidenceCommand::List { incident, json } => {
            let incident = match incident {
                None => None,
                Some(r) => Some(
                    store
                        .get_incident(&r)
                        .await?
                        .with_context(|| format!("unknown incident {r}"))?
                        .record
                        .incident
                        .id,
                ),
            };
            let items = store.list_evidence(incident).await?;
            if json {
                return output::print_json(&items);
            }
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|e| {
                    vec![
                        e.id.to_string(),
                        e.sha256.to_hex()[..16].to_string(),
                        e.name.clone(),
                        e.tlp.to_string(),
                        e.custodian.to_string(),
                        kind_of(e),
                    ]
                })
                .collect();
            output::print(&output::table(
                &["ID", "SHA-256", "NAME", "TLP", "CUSTODIAN", "KIND"],
                &rows,
                60,
            ))?;
        }
        EvidenceCommand::Show { id, json } => {
            let id = evidence_id(&id)?;
            let e = store
                .get_evidence(id)
                .await?
                .with_context(|| format!("unknown evidence {id}"))?;
            let runs = store.runs_over(id).await?;
            if json {
                return output::print_json(&serde_json::json!({ "evidence": e, "runs": runs }));
            }
            let mut s = format!(
                "evidence {}\n  name         {}\n  sha256       {}\n  size         {} bytes\n  TLP          {}\n",
                e.id, e.name, e.sha256, e.size, e.tlp
            );
            if !e.description.is_empty() {
                s.push_str(&format!("  description  {}\n", e.description));
            }
            if let Some(i) = e.incident {
                s.push_str(&format!("  incident     {i}\n"));
            }
            if let Some(o) = e.copy_of {
                s.push_str(&format!("  copy of      {o}\n"));
            }
            if let Some(r) = e.produced_by {
                s.push_str(&format!("  produced by  run {r}\n"));
            }
            s.push_str(&format!(
                "  custodian    {}{}\n  events       {}\n  log entry    {}\n",
                e.custodian,
                if e.released { " (released)" } else { "" },
                e.events,
                e.log_index
            ));
            for r in runs {
                s.push_str(&format!("  analysed in  run {r}\n"));
            }
            output::print(&s)?;
        }
        EvidenceCommand::Custody { id, json } => {
            let id = evidence_id(&id)?;
            store
                .get_evidence(id)
                .await?
                .with_context(|| format!("unknown evidence {id}"))?;
            let chain = store.custody_chain(id).await?;
            if json {
                return output::print_json(&chain);
            }
            let rows: Vec<Vec<String>> = chain.iter().map(event_row).collect();
            output::print(&output::table(
                &[
                    "#", "TIME", "EVENT", "SIGNER", "FROM", "TO", "LOG", "DETAIL",
                ],
                &rows,
                60,
            ))?;
        }
        EvidenceCommand::Transfer { id, to, key, note } => {
            let signer = load_key(&key)?;
            let to = party("--to", &to)?;
            let ev = store
                .transfer_evidence(actor, &signer, evidence_id(&id)?, &to, &note)
                .await?;
            println!(
                "Transferred evidence {id} from {actor} to {to} (event {}, log entry {}).",
                ev.statement.seq, ev.log_index
            );
        }
        EvidenceCommand::Copy {
            id,
            key,
            to,
            out,
            note,
            vault,
        } => {
            let signer = load_key(&key)?;
            let to = to.map(|t| party("--to", &t)).transpose()?;
            let vault = open_vault(db, &vault)?;
            // Refuse a destination that exists or cannot be created before anything is
            // recorded: a copy logged but never written would be retried into a second one.
            if let Some(out) = &out {
                if out.exists() {
                    bail!(
                        "{} already exists: a working copy never replaces an existing file",
                        out.display()
                    );
                }
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(out)
                    .with_context(|| format!("cannot create {}; nothing was recorded", out.display()))?;
                std::fs::remove_file(out).with_context(|| format!("cannot prepare {}", out.display()))?;
            }
            let (copy, _, received) = store
                .copy_evidence(actor, &signer, evidence_id(&id)?, to.as_ref(), &note)
                .await?;
            println!(
                "Working copy {} of evidence {id}, held by {} (log entry {}).",
                copy.id, copy.custodian, received.log_index
            );
            if let Some(out) = out {
                let n = vault.export(&copy.sha256, &out)?;
                println!("Wrote its {n} verified bytes to {}.", out.display());
            }
        }
        EvidenceCommand::Release { id, key, to, note } => {
            let signer = load_key(&key)?;
            let to = to.map(|t| party("--to", &t)).transpose()?;
            let ev = store
                .release_evidence(actor, &signer, evidence_id(&id)?, to.as_ref(), &note)
                .await?;
            println!(
                "Released evidence {id} (event {}, log entry {}); its chain is closed.",
                ev.statement.seq, ev.log_index
            );
        }
        EvidenceCommand::Analyse {
            key,
            tool,
            tool_version,
            inputs,
            note,
            vault,
            argv,
        } => {
            let signer = load_key(&key)?;
            let inputs = inputs
                .iter()
                .map(|i| evidence_id(i))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let vault = open_vault(db, &vault)?;
            let (run, outputs) = evidence::analyse(
                store,
                &vault,
                actor,
                &signer,
                &tool,
                &tool_version,
                argv,
                inputs,
                &scratch_parent(),
                &note,
            )
            .await?;
            println!(
                "Recorded run {} of {} {} (log entry {}).",
                run.statement.run, run.statement.tool, run.statement.version, run.log_index
            );
            for o in outputs {
                println!(
                    "  output {:<24} evidence {}  sha256 {}",
                    o.name, o.id, o.sha256
                );
            }
            println!(
                "Anyone can re-run it with: pacta evidence rerun {}",
                run.statement.run
            );
        }
        EvidenceCommand::Rerun { run, vault } => {
            let id = RunId::parse(&run)?;
            let vault = open_vault(db, &vault)?;
            let (run, checks) = evidence::rerun(store, &vault, id, &scratch_parent()).await?;
            println!(
                "Re-ran {} {}: {}",
                run.statement.tool,
                run.statement.version,
                run.statement.argv.join(" ")
            );
            let mut mismatches = 0;
            for c in &checks {
                if c.matches() {
                    println!("  match     {:<24} {}", c.name, c.expected);
                } else {
                    mismatches += 1;
                    println!(
                        "  MISMATCH  {:<24} expected {} found {}",
                        c.name, c.expected, c.found
                    );
                }
            }
            if mismatches > 0 {
                bail!(
                    "{mismatches} of {} output(s) differ from the recorded run",
                    checks.len()
                );
            }
            println!("All {} output(s) reproduced.", checks.len());
        }
        EvidenceCommand::Verify { id, vault } => {
            let vault = open_vault(db, &vault)?;
            let reports = match id {
                Some(id) => vec![store.verify_evidence(&vault, evidence_id(&id)?).await?, store.verify_log_has_every_record().await?],
                None => store.verify_all_evidence(&vault).await?,
            };
            let mut bad = 0;
            for r in &reports {
                if r.ok() {
                    println!("ok    {} ({} event(s))", r.subject, r.events_checked);
                } else {
                    bad += 1;
                    println!("FAIL  {}", r.subject);
                    for p in &r.problems {
                        println!("        {p}");
                    }
                }
            }
            if bad > 0 {
                bail!("{bad} of {} item(s) failed verification", reports.len());
            }
            println!("{} item(s) verified.", reports.len());
        }
    }
    Ok(())
}

fn kind_of(e: &Evidence) -> String {
    match (e.copy_of, e.produced_by) {
        (Some(o), _) => format!("copy of {o}"),
        (_, Some(r)) => format!("output of run {r}"),
        _ if e.released => "original (released)".into(),
        _ => "original".into(),
    }
}

fn event_row(ev: &CustodyEvent) -> Vec<String> {
    let s = &ev.statement;
    let opt = |p: &Option<PartyId>| {
        p.as_ref()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "-".into())
    };
    let mut detail = Vec::new();
    if let Some(c) = s.copy {
        detail.push(format!("copy {c}"));
    }
    if let Some(c) = s.copy_of {
        detail.push(format!("copy of {c}"));
    }
    if let Some(r) = s.run {
        detail.push(format!("run {r}"));
    }
    if !s.note.is_empty() {
        detail.push(s.note.clone());
    }
    vec![
        s.seq.to_string(),
        s.time.clone(),
        s.kind.to_string(),
        s.signer.to_string(),
        opt(&s.from),
        opt(&s.to),
        ev.log_index.to_string(),
        detail.join("; "),
    ]
}
