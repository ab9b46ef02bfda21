//! Who is asking. Every read in [`crate::registry`] takes a [`Viewer`] and shows only
//! what that viewer may see.
//!
//! This slice serves the anonymous public only, so the extractor always yields
//! [`Viewer::Public`]. When accounts and tokens arrive, the extractor will authenticate
//! the request and the authorization layer (cedar policies over roles, TLP and sharing
//! groups) will decide per record; the handlers and the registry's signatures stay as
//! they are, because they already pass a viewer everywhere.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use pacta_core::{Attribution, Incident, Tlp, Visibility};
use std::convert::Infallible;

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Viewer {
    /// Anyone, unauthenticated: TLP:CLEAR records and public claims only.
    Public,
}

impl Viewer {
    /// The most restrictive TLP marking this viewer may read.
    pub fn max_tlp(&self) -> Tlp {
        match self {
            Viewer::Public => Tlp::Clear,
        }
    }

    pub fn may_see_incident(&self, incident: &Incident) -> bool {
        incident.tlp <= self.max_tlp()
    }

    /// A private attribution is shown only to the parties it is shared with, never to
    /// the public, even on a CLEAR incident.
    pub fn may_see_attribution(&self, attribution: &Attribution) -> bool {
        match (self, &attribution.visibility) {
            (_, Visibility::Public) => true,
            (Viewer::Public, Visibility::Private { .. }) => false,
        }
    }

    /// A key that is equal for viewers who see exactly the same records, so derived data
    /// (statistics) can be cached per audience rather than per person.
    pub(crate) fn audience(&self) -> &'static str {
        match self {
            Viewer::Public => "public",
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Viewer::Public)
    }
}
