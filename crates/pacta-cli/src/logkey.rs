//! Where the log's signing key lives, and how the CLI finds it.
//!
//! The key is a signed-note private key (`PRIVATE+KEY+…`) in a file: `--log-key FILE` or
//! `PACTA_LOG_KEY`; by default `<database file>.log-key` beside a SQLite database, or
//! `pacta-log.key` in the working directory for PostgreSQL. It is created (mode 0600) on
//! first use with the origin `--log-origin` (default `pacta.localhost/log`). Servers sharing
//! one PostgreSQL must share one key file; the store refuses a key other than the one the
//! log was first signed with.

use anyhow::Context;
use pacta_ledger::note::NoteSigner;
use std::path::PathBuf;

#[derive(clap::Args, Clone)]
pub struct LogKeyArgs {
    /// The log's signing key file (created on first use).
    #[arg(long, env = "PACTA_LOG_KEY", global = true)]
    pub log_key: Option<PathBuf>,
    /// The log's origin, used as the key name when a key is created.
    #[arg(long, env = "PACTA_LOG_ORIGIN", default_value = "pacta.localhost/log", global = true)]
    pub log_origin: String,
}

pub fn key_path(db: &str, args: &LogKeyArgs) -> PathBuf {
    if let Some(p) = &args.log_key {
        return p.clone();
    }
    match db.strip_prefix("sqlite://").or_else(|| db.strip_prefix("sqlite:")) {
        Some(path) => PathBuf::from(format!("{path}.log-key")),
        None if !db.contains("://") => PathBuf::from(format!("{db}.log-key")),
        None => PathBuf::from("pacta-log.key"),
    }
}

/// Loads the log's signing key, creating it if it does not exist yet.
pub fn load_or_create(db: &str, args: &LogKeyArgs) -> anyhow::Result<NoteSigner> {
    let path = key_path(db, args);
    match std::fs::read_to_string(&path) {
        Ok(text) => NoteSigner::parse_private_key(text.trim()).with_context(|| format!("{} does not hold a signed-note private key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let signer = NoteSigner::generate(&args.log_origin).with_context(|| format!("--log-origin {:?} is not a valid key name", args.log_origin))?;
            write_secret(&path, &(signer.to_private_key() + "\n"))?;
            eprintln!("created the log's signing key {} ({})", path.display(), signer.verifier().to_vkey());
            Ok(signer)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the log key {}", path.display())),
    }
}

/// Writes a secret file readable by its owner only, without ever replacing an existing one.
pub fn write_secret(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    Ok(())
}
