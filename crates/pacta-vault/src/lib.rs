//! Pacta's evidence vault: content-addressed blobs on the filesystem, beside the database.
//!
//! # Overview
//!
//! An artefact (a disk image, a malware sample, a log excerpt) is stored once, under the
//! SHA-256 of its bytes, at `ROOT/sha256/ab/cdef…` (the first two hex digits fan the files
//! out over 256 directories). The database never holds blob bytes: its records and log
//! entries name blobs by hash, and this crate is the only code that touches the files.
//!
//! | operation | guarantee |
//! |---|---|
//! | [`Vault::put`] | streams the bytes, hashes them, and makes the blob durable before returning; putting the same content twice is a no-op that returns the same hash |
//! | [`Vault::get`], [`Vault::open_blob`] | the bytes handed out are the bytes of the hash, or an error naming the hash expected and the hash found |
//! | [`Vault::verify`] | [`VaultError::Tampered`] with both hashes, or [`VaultError::Missing`] |
//! | [`Vault::export`] | writes a working copy to a new file; never replaces an existing file |
//!
//! Invariant: a blob file, once in place, is never overwritten, truncated or removed by
//! this crate. A working copy is always a new file elsewhere; the original stays as it was.
//!
//! Invariant: no function panics on garbage: malformed hashes, missing or altered files
//! are errors that name what failed.
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("pacta-vault-doc-{}", std::process::id()));
//! use pacta_vault::Vault;
//! let vault = Vault::open(&dir).unwrap();
//! let put = vault.put(&b"an artefact"[..]).unwrap();
//! assert_eq!(put.size, 11);
//! assert_eq!(vault.get(&put.hash).unwrap(), b"an artefact");
//! assert!(vault.verify(&put.hash).is_ok());
//! # std::fs::remove_dir_all(&dir).ok();
//! ```

#![forbid(unsafe_code)]

pub mod run;

use sha2::{Digest, Sha256};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Temporary files older than this are left over from a crashed `put` and are removed when
/// a vault is opened. A `put` in progress in another process is far younger.
const STALE_TEMP: Duration = Duration::from_secs(24 * 60 * 60);

/// The SHA-256 of a blob's bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobHash(pub [u8; 32]);

impl BlobHash {
    /// Parses 64 hexadecimal digits, optionally prefixed `sha256:`. Upper case is accepted
    /// and normalised to lower case.
    pub fn parse(s: &str) -> Result<BlobHash, VaultError> {
        let t = s.trim();
        let t = t.strip_prefix("sha256:").unwrap_or(t);
        let mut out = [0u8; 32];
        if t.len() != 64 || hex::decode_to_slice(t, &mut out).is_err() {
            return Err(VaultError::BadHash(s.chars().take(80).collect()));
        }
        Ok(BlobHash(out))
    }

    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> BlobHash {
        BlobHash(Sha256::digest(bytes).into())
    }

    /// Lower-case hexadecimal, as it appears in paths, records and log entries.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobHash({})", self.to_hex())
    }
}

impl std::str::FromStr for BlobHash {
    type Err = VaultError;
    fn from_str(s: &str) -> Result<Self, VaultError> {
        BlobHash::parse(s)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("{0:?} is not a SHA-256 hash: expected 64 hexadecimal digits")]
    BadHash(String),
    #[error("blob {hash} is not in the vault (expected at {path})")]
    Missing { hash: BlobHash, path: PathBuf },
    #[error("blob {expected} has been altered: its bytes hash to {found} ({path})")]
    Tampered {
        expected: BlobHash,
        found: BlobHash,
        path: PathBuf,
    },
    #[error("{path} already exists: a working copy never replaces an existing file")]
    WouldOverwrite { path: PathBuf },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> VaultError {
    let path = path.to_path_buf();
    move |source| VaultError::Io {
        action,
        path,
        source,
    }
}

/// What [`Vault::put`] stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Put {
    pub hash: BlobHash,
    pub size: u64,
    /// False when identical content was already in the vault (nothing was written).
    pub new: bool,
}

/// A blob store rooted at one directory. Cheap to clone; safe to share between threads and
/// processes (each `put` uses its own temporary file and the final step cannot replace a
/// blob another writer placed first).
#[derive(Clone, Debug)]
pub struct Vault {
    root: PathBuf,
}

pub(crate) static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Vault {
    /// Opens the vault at `dir`, creating it if needed, and removes temporary files left by
    /// a `put` that crashed more than a day ago.
    pub fn open(dir: impl AsRef<Path>) -> Result<Vault, VaultError> {
        let root = dir.as_ref().to_path_buf();
        for d in [root.join("sha256"), root.join("tmp")] {
            fs::create_dir_all(&d).map_err(io_err("cannot create", &d))?;
        }
        let vault = Vault { root };
        vault.sweep_temp();
        Ok(vault)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with this hash lives (whether or not it is there).
    pub fn path_of(&self, hash: &BlobHash) -> PathBuf {
        let h = hash.to_hex();
        self.root.join("sha256").join(&h[..2]).join(&h[2..])
    }

    /// Whether a file is in place for `hash`, and its size. Does not read the bytes: use
    /// [`Vault::verify`] for that.
    pub fn stat(&self, hash: &BlobHash) -> Result<Option<u64>, VaultError> {
        let path = self.path_of(hash);
        match fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("cannot inspect", &path)(e)),
        }
    }

    /// Stores everything `reader` yields and returns its hash and size. The blob is durable
    /// when this returns, so a record that names it may then be committed.
    ///
    /// Crash points, and what recovery finds:
    /// 1. while streaming into `tmp/put-…`, or after the temporary file's fsync but before
    ///    it is linked into place: only a temporary file exists. The caller was never told
    ///    the hash, so nothing refers to it; [`Vault::open`] removes it once it is stale.
    /// 2. after the link into `sha256/ab/…` but before the directory's fsync: the blob's
    ///    directory entry may or may not survive. Either way `put` had not returned, so no
    ///    record names the blob yet; a retry puts it again.
    /// 3. after the directory fsync, before the temporary name is removed: the blob is
    ///    complete and durable; the leftover temporary file is swept as in 1.
    /// 4. after `put` returns but before the caller's database transaction commits: the
    ///    blob is an orphan. It is harmless (content-addressed, never half-written) and
    ///    adding the same content again finds it in place.
    ///
    /// Because the file is fsynced before it gets its final name, a blob path that exists
    /// after a crash always holds the complete content of its hash.
    pub fn put(&self, mut reader: impl Read) -> Result<Put, VaultError> {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let temp = self
            .root
            .join("tmp")
            .join(format!("put-{}-{n}-{nanos}", std::process::id()));
        let result = self.put_via(&temp, &mut reader);
        // Whatever happened, the temporary name goes (crash point 3 if we die first).
        let _ = fs::remove_file(&temp);
        result
    }

    fn put_via(&self, temp: &Path, reader: &mut dyn Read) -> Result<Put, VaultError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp)
            .map_err(io_err("cannot create", temp))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let k = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err("cannot read the artefact for", temp)(e)),
            };
            hasher.update(&buf[..k]);
            file.write_all(&buf[..k])
                .map_err(io_err("cannot write", temp))?;
            size += k as u64;
        }
        // Durable content before it has a name anyone will look up (crash point 1).
        file.sync_all().map_err(io_err("cannot fsync", temp))?;
        let mut perms = file
            .metadata()
            .map_err(io_err("cannot inspect", temp))?
            .permissions();
        perms.set_readonly(true);
        fs::set_permissions(temp, perms).map_err(io_err("cannot make read-only", temp))?;
        drop(file);

        let hash = BlobHash(hasher.finalize().into());
        let dest = self.path_of(&hash);
        let Some(fan) = dest.parent() else {
            return Err(VaultError::BadHash(hash.to_hex()));
        };
        if !fan.is_dir() {
            fs::create_dir_all(fan).map_err(io_err("cannot create", fan))?;
            // The new fan-out directory's own entry must survive a crash too.
            sync_dir(&self.root.join("sha256"))?;
        }
        // Link, never rename: `hard_link` fails if the destination exists, so a blob placed
        // by another writer (or a tampered file an auditor must see) is never replaced.
        let new = match fs::hard_link(temp, &dest) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
            Err(_) if dest.exists() => false,
            Err(_) => {
                // A filesystem without hard links. The existence check and the rename are
                // not one step: two writers of the same content could both rename, and the
                // second would replace the first with identical bytes, which is harmless.
                fs::rename(temp, &dest).map_err(io_err("cannot move into place", &dest))?;
                true
            }
        };
        if new {
            // Crash point 2: until this fsync the link may be lost; `put` has not returned.
            sync_dir(fan)?;
        } else {
            // Identical content was already here: make sure it still is what it claims,
            // rather than reporting success over an altered file.
            self.verify(&hash)?;
        }
        Ok(Put { hash, size, new })
    }

    /// Stores the file at `path` (see [`Vault::put`]).
    pub fn put_file(&self, path: &Path) -> Result<Put, VaultError> {
        let file = File::open(path).map_err(io_err("cannot open", path))?;
        self.put(io::BufReader::new(file))
    }

    /// A reader over the blob that checks its hash as it goes: the final `read` (the one
    /// that would return end-of-file) fails with [`io::ErrorKind::InvalidData`] wrapping
    /// [`VaultError::Tampered`] if the bytes were not the bytes of `hash`.
    pub fn open_blob(&self, hash: &BlobHash) -> Result<VerifyingReader, VaultError> {
        let path = self.path_of(hash);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(VaultError::Missing { hash: *hash, path });
            }
            Err(e) => return Err(io_err("cannot open", &path)(e)),
        };
        Ok(VerifyingReader {
            file,
            hasher: Sha256::new(),
            expected: *hash,
            path,
            done: false,
        })
    }

    /// The blob's bytes, verified against its hash.
    pub fn get(&self, hash: &BlobHash) -> Result<Vec<u8>, VaultError> {
        let mut reader = self.open_blob(hash)?;
        let mut out = Vec::new();
        reader
            .read_to_end(&mut out)
            .map_err(|e| reader.into_error(e))?;
        Ok(out)
    }

    /// Reads the whole blob and checks that it hashes to `hash`. Returns its size.
    pub fn verify(&self, hash: &BlobHash) -> Result<u64, VaultError> {
        let mut reader = self.open_blob(hash)?;
        let size = io::copy(&mut reader, &mut io::sink()).map_err(|e| reader.into_error(e))?;
        Ok(size)
    }

    /// Writes a working copy of the blob to `dest`, a file that must not exist yet (the
    /// copy never replaces anything, least of all the original in the vault). The bytes are
    /// verified on the way; if they do not match, the partial copy is removed.
    pub fn export(&self, hash: &BlobHash, dest: &Path) -> Result<u64, VaultError> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let (Ok(a), Ok(b)) = (fs::canonicalize(parent), fs::canonicalize(&self.root))
            && a.starts_with(&b)
        {
            return Err(VaultError::WouldOverwrite {
                path: dest.to_path_buf(),
            });
        }
        let mut reader = self.open_blob(hash)?;
        let mut out = match OpenOptions::new().write(true).create_new(true).open(dest) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(VaultError::WouldOverwrite {
                    path: dest.to_path_buf(),
                });
            }
            Err(e) => return Err(io_err("cannot create", dest)(e)),
        };
        let copied = io::copy(&mut reader, &mut out);
        let result = match copied {
            Ok(n) => out
                .sync_all()
                .map(|_| n)
                .map_err(io_err("cannot fsync", dest)),
            Err(e) => Err(reader.into_error(e)),
        };
        if result.is_err() {
            let _ = fs::remove_file(dest);
        }
        result
    }

    fn sweep_temp(&self) {
        let Ok(entries) = fs::read_dir(self.root.join("tmp")) else {
            return;
        };
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_TEMP);
            if stale && entry.file_name().to_string_lossy().starts_with("put-") {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Fsyncs a directory, making the entries created in it durable. A no-op where the
/// platform cannot open directories (Windows), where rename durability is the filesystem's.
fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err("cannot fsync directory", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// See [`Vault::open_blob`].
pub struct VerifyingReader {
    file: File,
    hasher: Sha256,
    expected: BlobHash,
    path: PathBuf,
    done: bool,
}

impl VerifyingReader {
    /// Turns an error from `read` back into the vault's error (a tampered blob keeps its
    /// expected and found hashes; anything else is an I/O error on the blob's path).
    pub fn into_error(&self, e: io::Error) -> VaultError {
        if e.kind() == io::ErrorKind::InvalidData
            && let Some(VaultError::Tampered {
                expected,
                found,
                path,
            }) = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<VaultError>())
        {
            return VaultError::Tampered {
                expected: *expected,
                found: *found,
                path: path.clone(),
            };
        }
        VaultError::Io {
            action: "cannot read",
            path: self.path.clone(),
            source: e,
        }
    }
}

impl Read for VerifyingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.file.read(buf)?;
        if n > 0 {
            self.hasher.update(&buf[..n]);
            return Ok(n);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        self.done = true;
        let found = BlobHash(self.hasher.clone().finalize().into());
        if found != self.expected {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                VaultError::Tampered {
                    expected: self.expected,
                    found,
                    path: self.path.clone(),
                },
            ));
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("pacta-vault-{tag}-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            TempDir(dir)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            make_writable(&self.0);
            let _ = fs::remove_dir_all(&self.0);
        }
    }
    fn make_writable(p: &Path) {
        if let Ok(entries) = fs::read_dir(p) {
            for e in entries.flatten() {
                make_writable(&e.path());
            }
        }
        if let Ok(m) = fs::metadata(p) {
            let mut perms = m.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            let _ = fs::set_permissions(p, perms);
        }
    }

    #[test]
    fn a_blob_lives_under_its_sha256_and_reads_back_verified() {
        let dir = TempDir::new("layout");
        let vault = Vault::open(&dir.0).unwrap();
        let put = vault.put(&b"abc"[..]).unwrap();
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            put.hash.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!((put.size, put.new), (3, true));
        assert_eq!(
            vault.path_of(&put.hash),
            dir.0
                .join("sha256/ba/7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(fs::read(vault.path_of(&put.hash)).unwrap(), b"abc");
        assert_eq!(vault.get(&put.hash).unwrap(), b"abc");
        assert_eq!(vault.verify(&put.hash).unwrap(), 3);
        assert_eq!(
            fs::read_dir(dir.0.join("tmp")).unwrap().count(),
            0,
            "no temporary file is left behind"
        );
    }

    #[test]
    fn putting_identical_content_again_writes_nothing_and_returns_the_same_hash() {
        let dir = TempDir::new("idem");
        let vault = Vault::open(&dir.0).unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let first = vault.put(&big[..]).unwrap();
        let modified = fs::metadata(vault.path_of(&first.hash))
            .unwrap()
            .modified()
            .unwrap();
        let second = vault.put(&big[..]).unwrap();
        assert_eq!(
            (second.hash, second.size, second.new),
            (first.hash, 200_000, false)
        );
        assert_eq!(
            fs::metadata(vault.path_of(&first.hash))
                .unwrap()
                .modified()
                .unwrap(),
            modified
        );
    }

    #[test]
    fn a_flipped_byte_is_named_with_the_hash_expected_and_the_hash_found() {
        let dir = TempDir::new("tamper");
        let vault = Vault::open(&dir.0).unwrap();
        let put = vault.put(&b"original evidence"[..]).unwrap();
        let path = vault.path_of(&put.hash);
        make_writable(&path);
        let mut bytes = fs::read(&path).unwrap();
        bytes[0] ^= 0x01;
        fs::write(&path, &bytes).unwrap();
        let found = BlobHash::of(&bytes);
        for err in [
            vault.verify(&put.hash).unwrap_err(),
            vault.get(&put.hash).unwrap_err(),
        ] {
            match err {
                VaultError::Tampered {
                    expected, found: f, ..
                } => assert_eq!((expected, f), (put.hash, found)),
                other => panic!("expected Tampered, got {other}"),
            }
        }
        let msg = vault.verify(&put.hash).unwrap_err().to_string();
        assert!(
            msg.contains(&put.hash.to_hex()) && msg.contains(&found.to_hex()),
            "{msg}"
        );
        // Putting the genuine content again does not paper over the altered file.
        assert!(matches!(
            vault.put(&b"original evidence"[..]),
            Err(VaultError::Tampered { .. })
        ));
        assert_eq!(
            fs::read(&path).unwrap(),
            bytes,
            "the altered file is left for the auditor to see"
        );
    }

    #[test]
    fn garbage_hashes_and_missing_blobs_are_errors_not_panics() {
        let dir = TempDir::new("garbage");
        let vault = Vault::open(&dir.0).unwrap();
        for bad in [
            "",
            "zz",
            "../../etc/passwd",
            &"a".repeat(63),
            &"g".repeat(64),
            &"é".repeat(32),
            "sha256:",
        ] {
            assert!(
                matches!(BlobHash::parse(bad), Err(VaultError::BadHash(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            BlobHash::parse(&format!("sha256:{}", "AB".repeat(32)))
                .unwrap()
                .to_hex(),
            "ab".repeat(32)
        );
        let absent = BlobHash::of(b"never stored");
        assert!(matches!(
            vault.verify(&absent),
            Err(VaultError::Missing { .. })
        ));
        assert_eq!(vault.stat(&absent).unwrap(), None);
        // A directory squatting on a blob's path is not a blob.
        fs::create_dir_all(vault.path_of(&absent)).unwrap();
        assert_eq!(vault.stat(&absent).unwrap(), None);
        assert!(vault.verify(&absent).is_err());
    }

    #[test]
    fn a_working_copy_goes_to_a_new_file_and_never_replaces_one() {
        let dir = TempDir::new("export");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let put = vault.put(&b"sample"[..]).unwrap();
        let dest = dir.0.join("work.bin");
        assert_eq!(vault.export(&put.hash, &dest).unwrap(), 6);
        assert_eq!(fs::read(&dest).unwrap(), b"sample");
        fs::write(&dest, b"analyst's notes").unwrap();
        assert!(matches!(
            vault.export(&put.hash, &dest),
            Err(VaultError::WouldOverwrite { .. })
        ));
        assert_eq!(fs::read(&dest).unwrap(), b"analyst's notes");
        let inside = vault.path_of(&put.hash).with_file_name("copy");
        assert!(
            matches!(
                vault.export(&put.hash, &inside),
                Err(VaultError::WouldOverwrite { .. })
            ),
            "no copies inside the vault"
        );
        assert_eq!(
            vault.get(&put.hash).unwrap(),
            b"sample",
            "the original is untouched"
        );
    }

    #[test]
    fn stale_temporary_files_from_a_crashed_put_are_swept_and_fresh_ones_kept() {
        let dir = TempDir::new("sweep");
        let vault = Vault::open(&dir.0).unwrap();
        let stale = dir.0.join("tmp/put-1-0-0");
        let fresh = dir.0.join("tmp/put-2-0-0");
        fs::write(&stale, b"half a blob").unwrap();
        fs::write(&fresh, b"a put in progress").unwrap();
        let old = SystemTime::now() - Duration::from_secs(2 * 24 * 60 * 60);
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        drop(vault);
        let _vault = Vault::open(&dir.0).unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists());
    }
}
