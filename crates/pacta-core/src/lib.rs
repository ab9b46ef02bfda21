//! Pacta's domain model: the records of the registry and the rules that make them valid.
//!
//! Everything here is pure data and validation. No I/O, no clock reads except in id
//! generation, no database or HTTP types. Higher layers (storage, importers, server) build
//! these values, call `validate`, and persist them; the norms engine reads them.
//!
//! ```
//! use pacta_core::{Incident, Tlp, StateCode, Target, Sector};
//! let mut incident = Incident::new("Power grid outage", Tlp::Clear);
//! incident.targets.push(Target {
//!     state: Some(StateCode::parse("state", "UA").unwrap()),
//!     place: None,
//!     sector: Sector::Energy,
//!     entity: Some("regional distributor".into()),
//! });
//! assert!(incident.validate().is_ok());
//! // Every refusal names the field and the value:
//! let err = StateCode::parse("targets[0].state", "XX").unwrap_err();
//! assert_eq!(err.field, "targets[0].state");
//! ```

mod error;
mod iso3166;
mod labels;

pub mod assessment;
pub mod attribution;
pub mod claim;
pub mod ids;
pub mod incident;
pub mod measure;
pub mod party;
pub mod record;
pub mod response;
pub mod state;
pub mod taxonomy;
pub mod tlp;

pub use assessment::{ExternalAssessment, LegalResponseIndicator, StateResponsibilityIndicator};
pub use attribution::{Attribution, AttributionBasis, Confidence, Visibility};
pub use error::{Invalid, check_prose};
pub use claim::{ClaimAction, ClaimVersion, Stance, StanceKind};
pub use ids::{AttributionId, ComplianceEventId, IncidentId, ResponseId, StanceId};
pub use incident::{Actor, AllegedReaction, Context, Dataset, Effects, Incident, Origin, Target};
pub use measure::{ComplianceEvent, ComplianceKind, Measure, MeasureState, MeasureStep, PartnerAct};
pub use party::{Party, PartyId, PartyKind};
pub use record::IncidentRecord;
pub use response::{Response, ResponseDomain, ResponseStatus};
pub use state::StateCode;
pub use taxonomy::*;
pub use tlp::Tlp;
