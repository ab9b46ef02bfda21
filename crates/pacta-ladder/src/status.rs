//! The attribution status of an incident, computed from its claims and the stances taken on
//! them. Nobody types a status in; it follows from the record by the rule below.
//!
//! # The rule
//!
//! Only the latest version of each claim counts, and only if that version is not a
//! withdrawal. For each state that a standing claim names (`actor_state`):
//!
//! 1. **Sources.** Each standing claim naming the state is one source, whoever signed it:
//!    a joint attribution is one coordinated assessment, not several independent ones. A
//!    claim made by a party already counted is no new source, whoever it names beside
//!    itself; co-signers listed by its maker count as verification only by their own act. A
//!    party endorsing such a claim is one more source only if its endorsement cites
//!    evidence of its own — at least one artefact the claim itself does not rely on (the
//!    store accepts only artefacts the party holds or has held). An
//!    endorsement without new evidence is political support, not corroboration. Several
//!    claims or endorsements by the same party count once; so does a party that is among
//!    a claim's attributors and endorses another claim.
//! 2. **Contests.** Each party whose latest stance on a standing claim naming the state is
//!    "contest" counts once. The accused state's own denial is recorded but does not
//!    contest: states deny as a matter of course, and a denial is no evidence.
//! 3. **Status.** With no source: `none`. When the contests are at least as many as the
//!    sources: `contested`. Otherwise, with one source: `single_source`; with two or more:
//!    `corroborated`, and `independently_verified` when one of the sources is an
//!    independent verifier (a party of kind `verifier`): its own claim, or its endorsement
//!    of another's claim with evidence of its own.
//! 4. **Confidence.** The standing confidence is the highest ICD 203 term stated by any
//!    source (a claim's own, or an endorser's). A source that states none adds none.
//!
//! The incident's overall status is that of its best-supported state (highest status, then
//! confidence), and `none` when no standing claim names a state.
//!
//! Private claims count only for a viewer allowed to read them: the store filters them
//! before this module sees them.

use pacta_core::{ClaimVersion, Confidence, Party, PartyId, PartyKind, Stance, StanceKind, StateCode};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

pacta_core::labelled_enum! {
    /// What the record of claims says about who did it.
    pub enum AttributionStatus ("an attribution status") {
        None = "none",
        /// Contests are at least as many as the sources.
        Contested = "contested",
        SingleSource = "single_source",
        Corroborated = "corroborated",
        IndependentlyVerified = "independently_verified",
    }
}

impl AttributionStatus {
    /// The rank an evidence gate compares: contested counts as no support at all.
    pub fn strength(self) -> u8 {
        match self {
            AttributionStatus::None | AttributionStatus::Contested => 0,
            AttributionStatus::SingleSource => 1,
            AttributionStatus::Corroborated => 2,
            AttributionStatus::IndependentlyVerified => 3,
        }
    }
}

/// How well the conduct is attributed to one state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub state: StateCode,
    pub status: AttributionStatus,
    /// The highest likelihood stated by any source; `None` when no source states one.
    pub confidence: Option<Confidence>,
    /// Each independent source: the claim's attributors, or an endorser with new evidence.
    pub sources: Vec<Vec<PartyId>>,
    /// Parties whose latest stance contests a claim naming this state.
    pub contested_by: Vec<PartyId>,
    /// Parties that endorsed without evidence of their own (support, not corroboration).
    pub supported_by: Vec<PartyId>,
}

/// The status of one incident's attribution, overall and per state named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    pub status: AttributionStatus,
    pub by_state: Vec<Standing>,
}

impl StatusReport {
    pub fn standing(&self, state: StateCode) -> Option<&Standing> {
        self.by_state.iter().find(|s| s.state == state)
    }

    /// The best-supported state, if a standing claim names one.
    pub fn leading(&self) -> Option<&Standing> {
        self.by_state.first()
    }
}

/// The latest version of each claim, in the order the claims first appear.
pub fn latest(versions: &[ClaimVersion]) -> Vec<&ClaimVersion> {
    let mut order: Vec<Uuid> = Vec::new();
    let mut best: BTreeMap<Uuid, &ClaimVersion> = BTreeMap::new();
    for v in versions {
        let id = v.claim().0;
        match best.get(&id) {
            Some(b) if b.version >= v.version => {}
            _ => {
                if !best.contains_key(&id) {
                    order.push(id);
                }
                best.insert(id, v);
            }
        }
    }
    order.into_iter().map(|id| best[&id]).collect()
}

/// The claims that stand: latest versions that are not withdrawals.
pub fn standing_claims(versions: &[ClaimVersion]) -> Vec<&ClaimVersion> {
    latest(versions).into_iter().filter(|v| v.stands()).collect()
}

/// Applies the rule in the module docs. `parties` tells which parties are verifiers; a
/// party missing from it is treated as not a verifier.
pub fn compute(versions: &[ClaimVersion], stances: &[Stance], parties: &[Party]) -> StatusReport {
    let claims = standing_claims(versions);
    let is_verifier = |p: &PartyId| parties.iter().any(|q| &q.id == p && q.kind == PartyKind::Verifier);
    // A party's latest stance per claim (stances arrive in log order; later ones win).
    let mut stance_of: BTreeMap<(Uuid, &PartyId), &Stance> = BTreeMap::new();
    for s in stances {
        stance_of.insert((s.claim.0, &s.party), s);
    }
    let states: BTreeSet<StateCode> = claims.iter().filter_map(|c| c.attribution.actor_state).collect();
    let mut by_state = Vec::new();
    for state in states {
        let mut sources: Vec<Vec<PartyId>> = Vec::new();
        let mut counted: BTreeSet<PartyId> = BTreeSet::new();
        let mut confidence: Option<Confidence> = None;
        let mut contested_by: BTreeSet<PartyId> = BTreeSet::new();
        let mut supported_by: BTreeSet<PartyId> = BTreeSet::new();
        let mut verified = false;
        let naming: Vec<&&ClaimVersion> = claims.iter().filter(|c| c.attribution.actor_state == Some(state)).collect();
        let mut counted_labels: BTreeSet<&str> = BTreeSet::new();
        for c in &naming {
            if !supports(c.attribution.confidence) {
                continue;
            }
            let signers = &c.attribution.attributors;
            // A claim whose every attributor was already counted adds no new source. An
            // imported claim names no party, only the attributor's description: the same
            // description naming the same state twice (two labels of one state's
            // operators, say) is still one attributor.
            // A party that made a claim and is already counted makes no new source by
            // naming others beside it: its co-signers have not said anything themselves.
            let maker_counted = signers.contains(&c.recorded_by) && counted.contains(&c.recorded_by);
            let new_source = if signers.is_empty() {
                match c.attribution.attributor_label.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
                    Some(label) => counted_labels.insert(label),
                    None => true,
                }
            } else {
                !maker_counted && signers.iter().any(|p| !counted.contains(p))
            };
            // Every supporting claim states its maker's likelihood, new source or not.
            confidence = confidence.max(c.attribution.confidence);
            if new_source {
                // Independent verification is the verifier's own act: a claim it recorded
                // (or, below, its endorsement with evidence), not its name on another's.
                verified |= signers.iter().any(|p| is_verifier(p) && (*p == c.recorded_by || !signers.contains(&c.recorded_by)));
                sources.push(signers.clone());
                counted.extend(signers.iter().cloned());
            }
        }
        for c in &naming {
            for ((claim, party), s) in &stance_of {
                if *claim != c.claim().0 {
                    continue;
                }
                let party = (*party).clone();
                if !stance_still_applies(versions, c, s) {
                    continue;
                }
                match s.kind {
                    StanceKind::Contest => {
                        if party.state() != Some(state) {
                            contested_by.insert(party);
                        }
                    }
                    StanceKind::Endorse if !supports(s.confidence) => {}
                    StanceKind::Endorse => {
                        let own_evidence = s.evidence.iter().any(|e| !c.evidence.contains(e));
                        if !own_evidence {
                            supported_by.insert(party);
                        } else if !counted.contains(&party) && !c.attribution.attributors.contains(&party) {
                            if is_verifier(&party) {
                                verified = true;
                            }
                            counted.insert(party.clone());
                            sources.push(vec![party]);
                            confidence = confidence.max(s.confidence);
                        }
                    }
                }
            }
        }
        // A party cannot both count as a source and as contesting: its latest stance on
        // some claim may contest while another of its claims supports; it counts as a source.
        contested_by.retain(|p| !counted.contains(p));
        supported_by.retain(|p| !counted.contains(p) && !contested_by.contains(p));
        let status = match sources.len() {
            0 => AttributionStatus::None,
            n if contested_by.len() >= n => AttributionStatus::Contested,
            1 => AttributionStatus::SingleSource,
            _ if verified => AttributionStatus::IndependentlyVerified,
            _ => AttributionStatus::Corroborated,
        };
        by_state.push(Standing {
            state,
            status,
            confidence,
            sources,
            contested_by: contested_by.into_iter().collect(),
            supported_by: supported_by.into_iter().collect(),
        });
    }
    // Best-supported first: status strength, then confidence, then the number of sources.
    by_state.sort_by(|a, b| {
        (b.status.strength(), b.confidence, b.sources.len(), a.state).cmp(&(a.status.strength(), a.confidence, a.sources.len(), b.state))
    });
    let status = by_state.first().map_or(AttributionStatus::None, |s| s.status);
    StatusReport { status, by_state }
}

/// Whether a stated likelihood supports the claim at all. A claimant (or endorser) who
/// calls it unlikely that the state did it is not a source for that state; stating no
/// likelihood is not a statement against it.
fn supports(confidence: Option<Confidence>) -> bool {
    confidence.is_none_or(|c| c >= Confidence::RoughlyEvenChance)
}

/// A stance answers the claim as it stood at the version the party saw. When a later
/// amendment names another state or another kind of actor, it is another allegation, and
/// the stance lapses: an endorsement of "Russia's GRU did it" must not corroborate "China
/// did it".
fn stance_still_applies(versions: &[ClaimVersion], current: &ClaimVersion, stance: &Stance) -> bool {
    if stance.claim_version == current.version {
        return true;
    }
    let seen = versions.iter().find(|v| v.claim().0 == current.claim().0 && v.version == stance.claim_version);
    seen.is_some_and(|v| v.attribution.actor_state == current.attribution.actor_state && v.attribution.actor_category == current.attribution.actor_category)
}
