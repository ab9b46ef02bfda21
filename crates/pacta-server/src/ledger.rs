//! The transparency log over HTTP: the C2SP tlog-tiles endpoints (`/checkpoint`,
//! `/tile/<L>/<N>[.p/<W>]`, `/tile/entries/<N>[.p/<W>]`), offline receipts
//! (`/api/v1/log/receipts/{index}`, C2SP tlog-proof) and the verifier key
//! (`/api/v1/log/key`); and the ledger page (`/ledger`), which shows the latest checkpoint,
//! the verifier key, the newest entries and how to verify all of it offline.
//!
//! # Why these endpoints need no viewer
//! Invariant (kept by the store, `pacta_store::log::entry_json`): a log entry inlines a
//! record, and names its kind and actor, only when it is TLP:CLEAR; anything marked more
//! restrictively is a sealed entry, a SHA-256 commitment to actor, kind and record
//! together. So every entry, tile, bundle and receipt is
//! public-safe by construction and is served to anyone, unfiltered: filtering here would
//! break the log's promise that everyone sees the same tree. A change to what the store
//! logs must keep that invariant, or these endpoints must change with it.
//!
//! # What is served
//! Only what the latest signed checkpoint covers: a tile or bundle whose content depends
//! on entries beyond the checkpoint's size is answered 404, so a client never sees data it
//! cannot verify yet. Tiles (full and partial) never change once their content is
//! determined, so they are cached by clients for a year; the checkpoint is not cached.
//!
//! The Merkle tree is kept in memory ([`LogTree`]) and grows as the log grows, reading only
//! the new leaf hashes; a process restart rebuilds it on the first request (32 bytes per
//! node: about 64 MB for a million entries).

use crate::error::AppError;
use crate::{AppState, Viewer, params};
use axum::{Json, Router};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pacta_core::Tlp;
use pacta_ledger::receipt::Receipt;
use pacta_ledger::tiles::{self, TILE_WIDTH, TileId, TileKind};
use pacta_ledger::tree::MemoryTree;
use pacta_store::checkpoint::StoredCheckpoint;

/// Tiles and receipts never change once served (their content is fixed by immutable
/// entries), so clients and proxies may keep them.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The checkpoint moves every second or so while the log grows.
const FRESH: &str = "no-cache";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .route("/api/v1/log/key", get(key))
        .route("/api/v1/log/receipts/{index}", get(receipt))
        .route("/api/v1/log/openings/{index}", get(opening))
        .route("/ledger", get(page))
}

/// The log's Merkle tree, grown lazily up to the latest checkpoint.
#[derive(Default)]
pub struct LogTree {
    /// Readers share the tree; a request that finds it behind the checkpoint takes the
    /// write lock and appends the missing leaves (one at a time: the others wait and then
    /// find it current).
    tree: tokio::sync::RwLock<MemoryTree>,
}

impl LogTree {
    /// The tree covering at least `size` entries, read-locked.
    async fn at_least(&self, store: &pacta_store::Store, size: u64) -> Result<tokio::sync::RwLockReadGuard<'_, MemoryTree>, AppError> {
        {
            let tree = self.tree.read().await;
            if tree.size() >= size {
                return Ok(tree);
            }
        }
        let mut tree = self.tree.write().await;
        while tree.size() < size {
            // Slices bound the memory of one catch-up read.
            let end = (tree.size() + 100_000).min(size);
            for h in store.log_leaf_hashes(tree.size(), end).await? {
                tree.append(h);
            }
        }
        Ok(tree.downgrade())
    }
}

fn text(body: impl Into<String>, cache: &'static str) -> Response {
    bytes(body.into().into_bytes(), "text/plain; charset=utf-8", cache)
}

fn bytes(body: Vec<u8>, content_type: &'static str, cache: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // Auditors and witnesses read the log from other origins.
    r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    r
}

async fn latest(state: &AppState) -> Result<StoredCheckpoint, AppError> {
    state.store.latest_checkpoint().await?.ok_or_else(|| AppError::NotFound("the log has not signed a checkpoint yet".into()))
}

/// `GET /checkpoint`: the latest signed checkpoint (C2SP tlog-checkpoint).
async fn checkpoint(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    params::none(query.as_deref())?;
    Ok(text(latest(&state).await?.note, FRESH))
}

/// `GET /tile/...`: a hash tile or an entry bundle (C2SP tlog-tiles).
async fn tile(State(state): State<AppState>, Path(path): Path<String>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    params::none(query.as_deref())?;
    let full_path = format!("tile/{path}");
    let id = TileId::parse(&full_path).map_err(|e| AppError::bad("path", &full_path, e.to_string().replace(&full_path, &crate::error::echo(&full_path))))?;
    let checkpoint = latest(&state).await?;
    let not_yet = || AppError::NotFound(format!("{full_path} is beyond the latest checkpoint (size {})", checkpoint.size));
    // The leaves a tile depends on: all of them must be covered by the signed checkpoint.
    let first_item = id.index.checked_mul(TILE_WIDTH).ok_or_else(not_yet)?;
    let items_end = first_item.checked_add(u64::from(id.width)).ok_or_else(not_yet)?;
    match id.kind {
        TileKind::Entries => {
            if items_end > checkpoint.size {
                return Err(not_yet());
            }
            let entries = state.store.log_entries(first_item, items_end).await?;
            if entries.len() as u64 != u64::from(id.width) {
                return Err(AppError::Internal(format!("{full_path}: the store returned {} entries", entries.len())));
            }
            let body = tiles::encode_bundle(&entries.iter().map(|e| e.entry.as_slice()).collect::<Vec<_>>())
                .map_err(|e| AppError::Internal(format!("{full_path}: {e}")))?;
            Ok(bytes(body, "application/octet-stream", IMMUTABLE))
        }
        TileKind::Hash { level } => {
            // Each item of a level-L tile is the root of 256^L leaves.
            let leaves_per_item = 1u64.checked_shl(8 * u32::from(level)).filter(|n| *n > 0).ok_or_else(not_yet)?;
            let leaves_end = items_end.checked_mul(leaves_per_item).ok_or_else(not_yet)?;
            if leaves_end > checkpoint.size {
                return Err(not_yet());
            }
            let tree = state.log_tree.at_least(&state.store, checkpoint.size).await?;
            let body = tiles::hash_tile(&*tree, id).map_err(|e| AppError::Internal(format!("{full_path}: {e}")))?;
            Ok(bytes(body, "application/octet-stream", IMMUTABLE))
        }
    }
}

/// `GET /api/v1/log/key`: the verifier key checkpoints are signed with
/// (`name+hex(id)+base64(0x01‖key)`).
async fn key(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    params::none(query.as_deref())?;
    let vkey = state.store.log_vkey().await?.ok_or_else(|| AppError::NotFound("the log has not signed a checkpoint yet".into()))?;
    Ok(text(vkey + "\n", FRESH))
}

/// `GET /api/v1/log/receipts/{index}`: an offline receipt (C2SP tlog-proof) that entry
/// `index` is in the log, against the latest checkpoint, with the entry's bytes as the
/// receipt's extra data (authenticated by the proof: the verifier hashes them).
async fn receipt(State(state): State<AppState>, Path(index): Path<String>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    params::none(query.as_deref())?;
    let index: u64 = index.parse().map_err(|_| AppError::bad("index", &index, "expected a log index: a whole number, 0 or more"))?;
    let checkpoint = latest(&state).await?;
    if index >= checkpoint.size {
        return Err(AppError::NotFound(format!("entry {index} is not covered by the latest checkpoint (size {})", checkpoint.size)));
    }
    let tree = state.log_tree.at_least(&state.store, checkpoint.size).await?;
    let mut receipt = Receipt::from_tree(&tree, index, &checkpoint.note).map_err(|e| AppError::Internal(format!("receipt {index}: {e}")))?;
    drop(tree);
    let entry = state.store.log_entries(index, index + 1).await?.pop().ok_or_else(|| AppError::Internal(format!("log entry {index} is missing")))?;
    receipt.extra = Some(entry.entry);
    // Not immutable: a later request proves against a later checkpoint.
    Ok(text(receipt.to_text(), FRESH))
}

/// `GET /api/v1/log/openings/{index}`: what opens sealed entry `index` (its actor, kind,
/// record and salt), for the party that made the change and no one else. With a receipt
/// for the entry, `pacta verify receipt --opening` then shows anyone, offline, that the
/// log holds that change at that time: a notification sent, a filing made.
///
/// Invariant: answered only to an account with a write credential that acts for the
/// entry's actor: its party or its organisation, as the write paths record them, or, for
/// the secretariat's entries, an administrator. And only for a GREEN or AMBER entry: the
/// log records a state's acts in the state's name, not its organisation's, and every
/// account of that state reads a GREEN or AMBER record it made; an AMBER+STRICT or RED
/// record is read by named organisations or people only, so its opening stays with the
/// operator (`pacta log opening`), to hand over by hand. To anyone else, and for an entry
/// without an opening (an open entry, a bulk import), the same 404: the answer tells no
/// one else who acted.
#[utoipa::path(get, path = "/api/v1/log/openings/{index}", tag = "log",
    params(("index" = u64, Path, description = "The sealed entry's log index")),
    responses((status = 200, description = "The opening: {index, actor, kind, record, salt, tlp, time}", body = serde_json::Value), (status = 401, description = "No valid credential", body = crate::error::ErrorBody), (status = 404, description = "No opening of this entry for you", body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub(crate) async fn opening(State(state): State<AppState>, viewer: Viewer, Path(index): Path<String>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    params::none(query.as_deref())?;
    let index: u64 = index.parse().map_err(|_| AppError::bad("index", &index, "expected a log index: a whole number, 0 or more"))?;
    let Some(account) = viewer.account_info() else {
        return Err(AppError::Unauthorized("an opening is handed to the party that made the change: send an API token or sign in".into()));
    };
    let acting_for = |actor: &str| {
        viewer.may_write()
            && (account.party.as_deref() == Some(actor)
                || account.organisation.as_deref() == Some(actor)
                || (actor == pacta_core::party::SECRETARIAT && account.role == "administrator"))
    };
    let read_by_parties = |tlp: &str| matches!(Tlp::parse("tlp", tlp), Ok(Tlp::Green | Tlp::Amber));
    match state.store.opening(index).await? {
        Some(o) if acting_for(&o.actor) && read_by_parties(&o.tlp) => Ok(Json(o).into_response()),
        _ => Err(AppError::NotFound(format!("no opening of entry {index} for account {:?}: an opening is kept for a sealed entry and handed to the party that made the change", account.name))),
    }
}

/// The newest entries shown on the ledger page.
const RECENT: u64 = 20;

#[derive(askama::Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    nav: &'static str,
    origin: String,
    /// `None` until the log has signed its first checkpoint.
    checkpoint: Option<(u64, String, String)>,
    vkey: Option<String>,
    log_size: u64,
    /// (index, kind as the entry shows it: "sealed" above CLEAR), newest first, covered
    /// by the checkpoint.
    recent: Vec<(u64, String)>,
}

/// `GET /ledger`: what a visitor needs to check the log without trusting this server.
/// Entries are public-safe by construction (see the module's invariant), so the kinds they
/// show are listed for everyone; never the store's own column, which knows a sealed
/// entry's kind.
async fn page(State(state): State<AppState>, headers: axum::http::HeaderMap, RawQuery(query): RawQuery) -> crate::pages::PageResult {
    params::none(query.as_deref())?;
    let checkpoint = state.store.latest_checkpoint().await.map_err(AppError::from)?;
    let vkey = state.store.log_vkey().await.map_err(AppError::from)?;
    let log_size = state.store.log_size().await.map_err(AppError::from)?;
    let covered = checkpoint.as_ref().map_or(0, |c| c.size);
    let recent = state
        .store
        .log_entries(covered.saturating_sub(RECENT), covered)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .rev()
        .map(|e| (e.index, pacta_store::log::public_kind(&e.entry)))
        .collect();
    // The origin as the visitor reached us, for the copy-and-paste commands; never used
    // to build a link that the page follows itself.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))).unwrap_or("HOST:PORT");
    crate::pages::html(&LedgerPage {
        nav: "ledger",
        origin: format!("http://{host}"),
        checkpoint: checkpoint.map(|c| (c.size, hex::encode(c.root), c.note)),
        vkey,
        log_size,
        recent,
    })
}
