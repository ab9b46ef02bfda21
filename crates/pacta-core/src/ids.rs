//! Identifiers. Records get UUIDv7 ids (time-ordered, so inserts stay append-friendly in
//! B-tree indexes); parties get readable slugs because people type them.

use crate::error::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh UUIDv7.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }

            pub fn parse(s: &str) -> Result<Self, Invalid> {
                Uuid::parse_str(s.trim())
                    .map($name)
                    .map_err(|_| Invalid::new($field, s, "expected a UUID such as 0190a5e2-7c3b-7d40-8000-000000000000"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<Self, Invalid> {
                $name::parse(s)
            }
        }
    };
}

uuid_id!(
    /// An incident.
    IncidentId, "incident"
);
uuid_id!(
    /// One version-independent attribution claim.
    AttributionId, "attribution"
);
uuid_id!(
    /// An observed or proposed response measure.
    ResponseId, "measure"
);
uuid_id!(
    /// One party's endorsement or contest of an attribution claim.
    StanceId, "stance"
);
uuid_id!(
    /// One development in an incident's enforcement arc (a call to comply, compliance...).
    ComplianceEventId, "compliance event"
);
uuid_id!(
    /// One artefact under custody (an original, a working copy or an analysis output).
    EvidenceId, "evidence"
);
uuid_id!(
    /// One recorded analysis run.
    RunId, "run"
);
