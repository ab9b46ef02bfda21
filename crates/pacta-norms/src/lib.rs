//! Pacta's law: instruments written as literate Markdown (`norms/`), compiled into rules,
//! and applied to incidents.
//!
//! Invariant: `pacta-norms` does no I/O and knows nothing of SQL or HTTP. Instrument files
//! are given to it as (path, text) pairs; the built-in set is embedded at compile time.
//! Another coder's conclusions ([`pacta_core::ExternalAssessment`]) are never read as
//! facts: [`extract`] does not take one, and only [`fidelity`] compares with them.
//!
//! The pieces, in the order a caller uses them:
//! - [`Instruments::load`] compiles (path, text) pairs, or [`builtin`] gives the embedded
//!   set; [`Instruments::version`] is the SHA-256 an assessment records.
//! - [`extract::case`] turns an incident, its attribution claims and any extra facts into a
//!   [`Case`] (facts, whose view of the law, date).
//! - [`Instruments::assess`] gives an [`Assessment`]: findings per rule, responsibility,
//!   threshold, response envelope, each with the rules relied on and the missing facts.
//! - [`render::text`] prints it; [`render::diff`] compares two (what-if).
//! - [`fidelity`] compares assessments with EuRepoC's expert coding.
//!
//! ```
//! use pacta_norms::{extract, AssessOptions, Instruments, ResponseKind};
//! use pacta_core::{Incident, Tlp, Target, Sector, StateCode, OperationType};
//! use std::collections::BTreeMap;
//!
//! let law = pacta_norms::builtin();
//! let mut ddos = Incident::new("DDoS on ministry websites", Tlp::Clear);
//! ddos.operation_types.push(OperationType::Disruption);
//! ddos.targets.push(Target { state: Some(StateCode::parse("s", "EE").unwrap()), place: None,
//!     sector: Sector::Government, entity: None });
//! let case = extract::case(&ddos, &[], None, &BTreeMap::new()).unwrap();
//! let a = law.assess(&case, AssessOptions { trace: true });
//! // No attribution: no wrongful act is attributed to anyone, so no countermeasures.
//! assert_eq!(a.response(ResponseKind::Countermeasures).unwrap().available, pacta_norms::Tri::No);
//! assert_eq!(a.response(ResponseKind::Retorsion).unwrap().available, pacta_norms::Tri::Yes);
//! println!("{}", pacta_norms::render::text(&a));
//! ```

mod assess;
mod builtin;
mod facts;
mod instruments;
mod lang;
mod model;
mod name;

pub mod extract;
pub mod fidelity;
pub mod render;

pub use assess::{AssessOptions, Assessment, Case, Finding, ResponseConclusion, ResponsibilityConclusion, ThresholdConclusion, Trace};
pub use builtin::{builtin, builtin_sources, BUILTIN};

/// The version of the code that turns records into facts and applies rules. A stored
/// assessment records it beside [`Instruments::version`]: the same instruments read by a
/// different fact mapping can conclude differently, so a change to [`extract`] or to the
/// engine's semantics must bump it (and thereby marks every stored assessment stale).
pub const ENGINE_VERSION: &str = "pacta-norms engine 1, fact mapping 2";
pub use facts::{Fact, FactSet, Missing, Tri};
pub use instruments::{InstrumentInfo, Instruments, LoadErrors, Scope};
pub use lang::{Force, Kind, LoadError, Pos};
pub use name::Name;
pub use model::{Category, ResponseKind, ResponsibilityBasis, Status, Threshold};
