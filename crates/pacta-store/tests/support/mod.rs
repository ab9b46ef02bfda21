//! What the storage stories share: a scratch directory, running a story on both
//! databases, and parties with registered keys. Each test file takes what it needs.
#![allow(dead_code)]

use pacta_core::{PartyId, StateCode};
use pacta_ledger::note::NoteSigner;
use pacta_store::Store;
use std::path::PathBuf;

/// A scratch directory for one story (a vault, tools, scratch runs), removed at the end.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let d = std::env::temp_dir().join(format!("pacta-store-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a story once on SQLite and once on PostgreSQL (see `TestDb::both`), each on a
/// fresh database that is dropped afterwards.
#[macro_export]
macro_rules! on_both {
    (|$db:ident| $body:block) => {{
        for $db in pacta_store::testing::TestDb::both().await {
            eprintln!("-- on {}", $db.store.backend());
            $body
            $db.drop_db().await;
        }
    }};
}

pub fn party(s: &str) -> PartyId {
    PartyId::parse("party", s).unwrap()
}

pub fn state(c: &str) -> StateCode {
    StateCode::parse("state", c).unwrap()
}

/// A party with a registered signing key (which registers the party too).
pub async fn register(store: &Store, p: &PartyId, seed: u8) -> NoteSigner {
    let signer = NoteSigner::from_seed(p.as_str(), [seed; 32]).unwrap();
    store.register_party_key(p, p, &signer.verifier().to_vkey()).await.unwrap();
    signer
}
