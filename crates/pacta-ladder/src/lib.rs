//! Pacta's response ladder: from the record of attribution claims to the measures an
//! injured state may take, and the life of those measures.
//!
//! Pure: no files, no database, no clock (callers pass the time of a move). The pieces:
//! - [`status`]: the attribution status (none, single-source, corroborated, independently
//!   verified, contested) computed from claims and stances, by a documented rule.
//! - [`ladder`]: the rungs as data, compiled from `ladder/ladder.md` (built in) or an
//!   instance's own file: legal basis, evidence gate, severity, reversibility, civilian
//!   harm, lift conditions.
//! - [`plan`]: the planner, which combines the gates with the norms engine's assessment.
//! - [`lifecycle`]: proposed → notified → enacted ⇄ suspended → lifted, and when a measure
//!   must be lifted.
//! - [`arc`]: the incident's enforcement arc.
//!
//! Invariant: nothing here decides what is stored; the store keeps claims, stances,
//! compliance events and measures as `pacta-core` records, and callers (the CLI, the
//! server) load a [`Dossier`], ask this crate, and write through the store.
//!
//! ```
//! use pacta_core::{Incident, Tlp, Target, Sector, StateCode};
//! use pacta_ladder::{Dossier, Ladder, PlanRequest, plan};
//! let fr = StateCode::parse("s", "FR").unwrap();
//! let mut incident = Incident::new("Outage at a ministry", Tlp::Clear);
//! incident.targets.push(Target { state: Some(fr), place: None, sector: Sector::Government, entity: None });
//! let dossier = Dossier { incident: Some(incident), ..Default::default() };
//! let p = plan(Ladder::builtin(), pacta_norms::builtin(), &dossier, &PlanRequest { by: fr, against: None, urgent: false }).unwrap();
//! // Nobody is attributed anything: a private protest is open, countermeasures are not.
//! assert!(p.option("private_protest").is_some());
//! assert!(p.refusal("countermeasures").is_some());
//! ```

pub mod arc;
pub mod ladder;
pub mod lifecycle;
pub mod plan;
pub mod status;

pub use arc::{ArcStep, Phase, arc};
pub use ladder::{CivilianHarm, Gate, Ladder, LegalBasis, Reversibility, Rung};
pub use lifecycle::{LiftDue, Situation, join, keep, leave, lift_due, transition, withdraw_invitation};
pub use plan::{Dossier, Injury, OpenDuty, Plan, PlanOption, PlanRequest, Risk, RiskKind, Unavailable, check_join, check_move, check_proposal, plan};
pub use status::{AttributionStatus, Standing, StatusReport};
