//! Who is asking, and what they may see. Every read in [`crate::registry`] takes a
//! [`Viewer`] and shows only what that viewer may see.
//!
//! The extractor authenticates the request:
//! - `Authorization: Bearer <token>`: an API token (32 random bytes; the store keeps its
//!   SHA-256 and compares digests in constant time). A token that is presented but not
//!   valid is refused with 401, never downgraded to the public view, so a client with a
//!   revoked token notices.
//! - the `pacta_session` cookie set by the login form ([`crate::auth`]); an expired or
//!   unknown session is simply the public.
//! - nothing: the anonymous public.
//!
//! Decisions are not made here: the viewer carries its Cedar principal and asks
//! [`pacta_authz::Authorizer`], which holds the policies (`policies/registry.cedar`).

use crate::AppState;
use crate::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::header;
use pacta_authz::{Action, Authorizer, Marking, Principal, Role};
use pacta_core::{Attribution, Tlp, Visibility};
use pacta_store::Access;
use pacta_store::accounts::{Account, TokenScope};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "pacta_session";

#[derive(Clone)]
pub struct Viewer {
    inner: Arc<Inner>,
}

struct Inner {
    principal: Principal,
    access: Access,
    authz: Arc<Authorizer>,
    account: Option<Account>,
    /// What the credential allows: a read-only token cannot write, whatever the role.
    may_write: bool,
    /// The session's CSRF token, for forms (cookie sessions only).
    csrf: Option<String>,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Viewer({})", self.audience())
    }
}

impl Viewer {
    /// The anonymous public.
    pub fn public(authz: Arc<Authorizer>) -> Viewer {
        Viewer::new(authz, Principal::Public, None, false, None)
    }

    fn new(authz: Arc<Authorizer>, principal: Principal, account: Option<Account>, may_write: bool, csrf: Option<String>) -> Viewer {
        let scope = authz.scope(&principal);
        let access = Access { open: scope.open, granted: scope.granted };
        Viewer { inner: Arc::new(Inner { principal, access, authz, account, may_write, csrf }) }
    }

    /// A signed-in account.
    pub fn account(authz: Arc<Authorizer>, account: Account, may_write: bool, csrf: Option<String>) -> Viewer {
        let role = Role::parse(&account.role).unwrap_or(Role::Verifier);
        let principal = Principal::account(&account.name, role, account.party.as_deref(), account.organisation.as_deref());
        Viewer::new(authz, principal, Some(account), may_write, csrf)
    }

    pub fn principal(&self) -> &Principal {
        &self.inner.principal
    }

    pub fn account_info(&self) -> Option<&Account> {
        self.inner.account.as_ref()
    }

    pub fn csrf(&self) -> Option<&str> {
        self.inner.csrf.as_deref()
    }

    /// The viewer's access as a database filter (lists, counts, statistics, exports).
    pub fn access(&self) -> &Access {
        &self.inner.access
    }

    /// May the viewer read a record with this marking and these grants?
    pub fn may_read(&self, tlp: Tlp, grants: Vec<String>) -> bool {
        self.inner.authz.may_read(&self.inner.principal, &Marking::from_grants(tlp, grants))
    }

    /// Whether any restricted (non-CLEAR) record can reach this viewer, outright or by a
    /// grant: then what it downloads may be restricted too.
    pub fn may_read_restricted(&self) -> bool {
        let a = &self.inner.access;
        a.open.iter().chain(a.granted.iter().map(|(t, _)| t)).any(|t| *t != Tlp::Clear)
    }

    /// Whether `tlp` is readable without looking at a record's grants.
    pub fn reads_level_outright(&self, tlp: Tlp) -> bool {
        self.inner.access.open.contains(&tlp)
    }

    /// A private attribution is treated as a record marked AMBER and shared with the
    /// parties the claim names and with its attributors (who made it): the AMBER policy
    /// decides.
    pub fn may_see_attribution(&self, attribution: &Attribution) -> bool {
        match &attribution.visibility {
            Visibility::Public => true,
            Visibility::Private { shared_with } => self.inner.authz.may_read(
                &self.inner.principal,
                &Marking { tlp: Tlp::Amber, shared_with: shared_with.iter().chain(&attribution.attributors).map(|p| p.to_string()).collect(), recipients: vec![] },
            ),
        }
    }

    /// Whether the viewer is a signed-in account whose credential writes (the forum's
    /// write paths then check what its party may do in each case or request).
    pub fn may_write(&self) -> bool {
        self.inner.may_write && self.inner.account.is_some()
    }

    /// May the viewer report incidents (role by policy, and a credential that writes)?
    pub fn may_report(&self) -> bool {
        self.inner.may_write && self.inner.authz.may(&self.inner.principal, Action::Report)
    }

    /// May the viewer take this registry-wide action (by policy), with a credential that
    /// writes?
    pub fn may(&self, action: Action) -> bool {
        self.inner.may_write && self.inner.authz.may(&self.inner.principal, action)
    }

    /// The party the account acts for in the registry's records: its state party, else
    /// its organisation (a verifier's lab). `None` for the public and for accounts with
    /// neither.
    pub fn acting_party(&self) -> Option<pacta_core::PartyId> {
        let a = self.inner.account.as_ref()?;
        let id = a.party.as_deref().or(a.organisation.as_deref())?;
        pacta_core::PartyId::parse("party", id).ok()
    }

    /// The state the account acts for, if it is a state party's.
    pub fn acting_state(&self) -> Option<pacta_core::StateCode> {
        let a = self.inner.account.as_ref()?;
        pacta_core::PartyId::parse("party", a.party.as_deref()?).ok()?.state()
    }

    /// A key that is equal for viewers who see exactly the same records, so derived data
    /// (statistics) can be cached per audience rather than per request.
    pub(crate) fn audience(&self) -> String {
        match &self.inner.principal {
            Principal::Public => "public".to_string(),
            Principal::Account { name, .. } => format!("account:{name}"),
        }
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The value of cookie `name`, if sent.
pub(crate) fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The rate limiter authenticates first and leaves the viewer here.
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        authenticate(parts, state).await
    }
}

/// Who sent the request, from its credential (see the module documentation).
pub(crate) async fn authenticate(parts: &Parts, state: &AppState) -> Result<Viewer, AppError> {
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
        // Two credentials are one too many: which one acts would be a guess.
        if parts.headers.get_all(header::AUTHORIZATION).iter().count() > 1 {
            return Err(AppError::Unauthorized("send one Authorization header, not several".into()));
        }
        // The scheme's name is case-insensitive (RFC 9110, section 11.1).
        let token = auth.to_str().ok().and_then(|v| v.split_once(' ')).filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")).map(|(_, t)| t.trim()).unwrap_or("");
        let Some(bytes) = crate::auth::decode_secret(token) else {
            return Err(AppError::Unauthorized("the Authorization header must be `Bearer <token>` with a Pacta API token".into()));
        };
        return match state.store.account_for_token(&sha256(&bytes)).await? {
            Some((account, scope)) => Ok(Viewer::account(state.authz.clone(), account, scope == TokenScope::ReadWrite, None)),
            None => Err(AppError::Unauthorized("this API token is unknown or has been revoked".into())),
        };
    }
    if let Some(bytes) = cookie(parts, SESSION_COOKIE).and_then(crate::auth::decode_secret)
        && let Some((account, csrf)) = state.store.session(&sha256(&bytes)).await?
    {
        return Ok(Viewer::account(state.authz.clone(), account, true, Some(csrf)));
    }
    Ok(state.public_viewer.clone())
}
