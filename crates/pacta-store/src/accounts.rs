//! Accounts, API tokens, web sessions, and the sharing lists of restricted incidents.
//!
//! This module stores; it does not decide. Who may read what is decided by the Cedar
//! policies in `pacta-authz`, from the role, party and organisation kept here and the
//! grants kept beside each incident ([`Store::incident_grants`]).
//!
//! Secrets never reach this module in the clear: the caller (the server, the CLI) hashes
//! passwords with argon2id and hands over the SHA-256 of tokens and session ids, so a
//! copy of the database does not let anyone sign in.
//!
//! Sharing an incident is a change to the registry, so it goes through the log like every
//! other change ([`Store::share_incident`]): the entry is a commitment to the grant list
//! under the incident's marking, so the log shows *that* access changed, not to whom.

use crate::log::LogAppender;
use crate::{Store, StoreError, on_pool, write_tx};
use pacta_core::{IncidentId, Invalid, PartyId, Tlp};
use sqlx::Row;

/// A registered account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    /// administrator, party, verifier, arbitrator or mediator.
    pub role: String,
    pub party: Option<String>,
    pub organisation: Option<String>,
    /// argon2id PHC string, if the account may sign in on the web.
    pub password_hash: Option<String>,
}

/// What an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    Read,
    ReadWrite,
}

impl TokenScope {
    pub fn label(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::ReadWrite => "read write",
        }
    }

    pub fn parse(s: &str) -> Result<TokenScope, Invalid> {
        match s {
            "read" => Ok(TokenScope::Read),
            "read write" | "write" | "read-write" => Ok(TokenScope::ReadWrite),
            _ => Err(Invalid::new("scope", s, "expected read or write")),
        }
    }
}

/// A token's public facts (never its value, which is shown once, when issued).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    pub account: String,
    pub scope: TokenScope,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

pub const ROLES: [&str; 5] = ["administrator", "party", "verifier", "arbitrator", "mediator"];

/// Each grantee is a party id or `account:NAME`.
pub(crate) fn check_grantees(grantees: &[String]) -> Result<(), Invalid> {
    for g in grantees {
        match g.strip_prefix("account:") {
            Some(name) => check_name(name)?,
            None => {
                PartyId::parse("shared_with", g)?;
            }
        }
    }
    Ok(())
}

/// Adds `grantees` to the sharing list of the incident at `seq` and queues its
/// `incident.shared` entry, which commits to everyone the incident is now shared with,
/// sorted; evaluates to the entry's index. The one body of the sharing write path, shared
/// by [`Store::share_incident`] and by a report filed with its list (`write.rs`).
macro_rules! share_rows {
    ($tx:expr, $log:expr, $actor:expr, $incident:expr, $seq:expr, $tlp:expr, $grantees:expr) => {{
        for g in $grantees.iter() {
            sqlx::query("INSERT INTO incident_grants (incident_seq, grantee) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind($seq).bind(g.clone()).execute(&mut *$tx).await?;
        }
        let all: Vec<String> = sqlx::query_scalar("SELECT grantee FROM incident_grants WHERE incident_seq = $1 ORDER BY grantee").bind($seq).fetch_all(&mut *$tx).await?;
        let record = serde_json::json!({ "incident": $incident.to_string(), "shared_with": all }).to_string();
        $log.push($actor, "incident.shared", &record, $tlp)
    }};
}
pub(crate) use share_rows;

fn check_name(name: &str) -> Result<(), Invalid> {
    let ok = (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok { Ok(()) } else { Err(Invalid::new("name", name, "1 to 64 characters from a-z, 0-9, '.', '_' and '-'")) }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn account_from_row<R: Row>(row: &R) -> Result<Account, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Account {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        party: row.try_get("party")?,
        organisation: row.try_get("organisation")?,
        password_hash: row.try_get("password_hash")?,
    })
}

const ACCOUNT_COLUMNS: &str = "a.id, a.name, a.role, a.party, a.organisation, a.password_hash";

/// Compares two digests in time independent of where they differ.
fn same_digest(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Store {
    /// Registers an account. `party` and `organisation` are party ids (`state:FR`,
    /// `org:fr-cert`).
    pub async fn create_account(&self, actor: &PartyId, name: &str, role: &str, party: Option<&PartyId>, organisation: Option<&PartyId>, password_hash: Option<&str>) -> Result<Account, StoreError> {
        check_name(name)?;
        if !ROLES.contains(&role) {
            return Err(Invalid::new("role", role, "expected administrator, party, verifier, arbitrator or mediator").into());
        }
        if role == "party" && party.is_none() {
            return Err(Invalid::new("party", "", "a party account names the party it acts for (state:FR)").into());
        }
        // A verifier's endorsement counts as independent verification only when it is made
        // by a verifier party (`status.rs`): a verifier account acting for an `org:` party
        // would verify nothing, silently.
        if role == "verifier"
            && let Some(p) = party.or(organisation)
            && !p.as_str().starts_with("verifier:")
        {
            let (field, name) = if party.is_some() { ("party", p.as_str()) } else { ("organisation", p.as_str()) };
            return Err(Invalid::new(field, name, format!("a verifier account acts for a verifier party (verifier:{}), whose endorsements count as independent verification", name.split_once(':').map(|(_, n)| n).unwrap_or(name))).into());
        }
        let account = Account {
            id: uuid::Uuid::now_v7().to_string(),
            name: name.to_string(),
            role: role.to_string(),
            party: party.map(|p| p.to_string()),
            organisation: organisation.map(|p| p.to_string()),
            password_hash: password_hash.map(str::to_string),
        };
        let backend = self.backend();
        write_tx!(self, tx => {
            let taken: Option<String> = sqlx::query_scalar("SELECT id FROM accounts WHERE name = $1").bind(name).fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Err(Invalid::new("name", name, "an account with this name exists").into());
            }
            // A party account acts for its party from the first request: every write it
            // makes names that party, and the write paths refuse a party the registry does
            // not know. So the party is registered now, on first sight, and that is a change
            // to the registry like any other: it has its log entry, in this transaction.
            if let Some(party) = party {
                // The log's lock first: two accounts for the same new party, made at once,
                // must not both find it unknown.
                let mut log = LogAppender::lock(&mut *tx, backend).await?;
                let known: Option<String> = sqlx::query_scalar("SELECT kind FROM parties WHERE id = $1").bind(party.to_string()).fetch_optional(&mut *tx).await?;
                if known.is_none() {
                    let p = crate::evidence::party_for(party);
                    p.validate()?;
                    sqlx::query("INSERT INTO parties (id, kind, name, state) VALUES ($1, $2, $3, $4)")
                        .bind(p.id.to_string()).bind(p.kind.label()).bind(p.name.clone()).bind(p.state.map(|s| s.to_string()))
                        .execute(&mut *tx).await?;
                    let record = crate::write::canonical_json(&serde_json::json!({ "party": p.id.as_str(), "kind": p.kind.label(), "name": p.name }))?;
                    log.push(actor, "party.registered", &record, Tlp::Clear);
                    log.flush(&mut *tx).await?;
                }
            }
            sqlx::query("INSERT INTO accounts (id, name, role, party, organisation, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(account.id.clone()).bind(account.name.clone()).bind(account.role.clone())
                .bind(account.party.clone()).bind(account.organisation.clone()).bind(account.password_hash.clone()).bind(now())
                .execute(&mut *tx).await?;
        });
        Ok(account)
    }

    pub async fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        on_pool!(self, pool => {
            let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.name = $1 AND a.disabled_at IS NULL");
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(pool).await? {
                Some(row) => Ok(Some(account_from_row(&row)?)),
                None => Ok(None),
            }
        })
    }

    /// Stores a token's digest for `account`; returns the token's id (for revocation).
    pub async fn add_token(&self, account: &str, token_sha256: &[u8; 32], scope: TokenScope, label: &str) -> Result<String, StoreError> {
        let owner = self.account(account).await?.ok_or_else(|| StoreError::NotFound(format!("account {account:?}")))?;
        let id = uuid::Uuid::now_v7().to_string();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO api_tokens (id, account_id, token_sha256, scope, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id.clone()).bind(owner.id).bind(token_sha256.to_vec()).bind(scope.label()).bind(label.to_string()).bind(now())
                .execute(pool).await?;
        });
        Ok(id)
    }

    /// The live account and scope of a token, by the token's SHA-256. Revoked tokens and
    /// disabled accounts find nothing.
    pub async fn account_for_token(&self, token_sha256: &[u8; 32]) -> Result<Option<(Account, TokenScope)>, StoreError> {
        on_pool!(self, pool => {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS}, t.scope, t.token_sha256 FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
                 WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL"
            );
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_sha256.to_vec()).fetch_optional(pool).await? else { return Ok(None) };
            // The index lookup already matched; compare again in constant time so that no
            // code path depends on a byte-by-byte comparison of secret-derived data.
            let stored: Vec<u8> = row.try_get("token_sha256")?;
            if !same_digest(&stored, token_sha256) {
                return Ok(None);
            }
            let scope: String = row.try_get("scope")?;
            Ok(Some((account_from_row(&row)?, TokenScope::parse(&scope).unwrap_or(TokenScope::Read))))
        })
    }

    pub async fn tokens(&self, account: &str) -> Result<Vec<TokenInfo>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT t.id, t.scope, t.label, t.created_at, t.revoked_at FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.name = $1 ORDER BY t.created_at")
                .bind(account).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(TokenInfo {
                id: r.try_get("id")?,
                account: account.to_string(),
                scope: TokenScope::parse(&r.try_get::<String, _>("scope")?).unwrap_or(TokenScope::Read),
                label: r.try_get("label")?,
                created_at: r.try_get("created_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })).collect()
        })
    }

    /// Revokes a token by id. Returns whether a live token was revoked.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL").bind(now()).bind(id).execute(pool).await?.rows_affected();
            Ok(n == 1)
        })
    }

    /// Opens a web session, stored by the SHA-256 of its id.
    pub async fn create_session(&self, id_sha256: &[u8; 32], account_id: &str, csrf: &str, expires_at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO sessions (id_sha256, account_id, csrf, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(id_sha256.to_vec()).bind(account_id.to_string()).bind(csrf.to_string()).bind(expires_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                .execute(pool).await?;
        });
        Ok(())
    }

    /// A live session's account and CSRF token.
    pub async fn session(&self, id_sha256: &[u8; 32]) -> Result<Option<(Account, String)>, StoreError> {
        let now = now();
        on_pool!(self, pool => {
            let sql = format!("SELECT {ACCOUNT_COLUMNS}, s.csrf FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_sha256 = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL");
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id_sha256.to_vec()).bind(now).fetch_optional(pool).await? {
                Some(row) => Ok(Some((account_from_row(&row)?, row.try_get("csrf")?))),
                None => Ok(None),
            }
        })
    }

    pub async fn end_session(&self, id_sha256: &[u8; 32]) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE id_sha256 = $1").bind(id_sha256.to_vec()).execute(pool).await?;
        });
        Ok(())
    }

    /// Adds `grantees` (parties, organisations, `account:NAME`) to an incident's sharing
    /// list, with a log entry committing to the new list under the incident's marking.
    /// Grants only widen access; nothing here narrows it.
    pub async fn share_incident(&self, incident: IncidentId, grantees: &[String], actor: &PartyId) -> Result<Option<u64>, StoreError> {
        check_grantees(grantees)?;
        if grantees.is_empty() {
            return Ok(None);
        }
        let backend = self.backend();
        let index = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let row = sqlx::query("SELECT seq, tlp FROM incidents WHERE id = $1").bind(incident.to_string()).fetch_optional(&mut *tx).await?;
            let Some(row) = row else { return Err(StoreError::NotFound(format!("incident {incident}"))) };
            let seq: i64 = row.try_get("seq")?;
            let tlp = Tlp::parse("tlp", &row.try_get::<String, _>("tlp")?)?;
            let index = share_rows!(tx, log, actor, incident, seq, tlp, grantees);
            log.flush(&mut *tx).await?;
            index
        });
        Ok(Some(index))
    }

    /// An incident's grants (parties, organisations and `account:NAME` recipients).
    pub async fn incident_grants(&self, incident: IncidentId) -> Result<Vec<String>, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT g.grantee FROM incident_grants g JOIN incidents i ON i.seq = g.incident_seq WHERE i.id = $1 ORDER BY g.grantee")
                .bind(incident.to_string()).fetch_all(pool).await?)
        })
    }
}
