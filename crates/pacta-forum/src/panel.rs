//! The roster of neutrals and the conflict-of-interest check.
//!
//! A neutral is listed once, with nationality, affiliations and the roles it accepts.
//! [`conflicts`] returns every conflict, each with its rule, so a refusal lists them all:
//!
//! | rule | conflict | source |
//! |---|---|---|
//! | `panel.nationality` | a national of a party | UNCITRAL Arbitration Rules (2013), art. 6(7) |
//! | `panel.affiliation` | is, or is affiliated with, a party | UNCITRAL Arbitration Rules (2013), arts. 11-12; IBA Guidelines on Conflicts of Interest (2014), Non-Waivable Red List 1.1 |
//! | `panel.prior_involvement` | took part in the incidents (claims, stances, custody of evidence) | IBA Guidelines (2014), Waivable Red List 2.1.2 |
//! | `panel.mediator_as_arbitrator` | mediated this dispute | UNCITRAL Conciliation Rules (1980), art. 19 |

use crate::{refuse, text};
use pacta_core::{IncidentId, Invalid, PartyId, StateCode, labelled_enum};
use serde::{Deserialize, Serialize};

labelled_enum! {
    pub enum PanelRole ("a panel role") {
        Mediator = "mediator",
        Arbitrator = "arbitrator",
    }
}

/// A neutral on the roster. `party` is the handle it acts under (`org:arb-…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arbitrator {
    pub party: PartyId,
    pub name: String,
    pub nationalities: Vec<StateCode>,
    /// Governments, organisations, firms it works or worked for.
    pub affiliations: Vec<PartyId>,
    pub roles: Vec<PanelRole>,
}

impl Arbitrator {
    pub fn validate(&self) -> Result<(), Invalid> {
        text("name", &self.name, 200)?;
        if self.party.state().is_some() {
            return Err(refuse("party", &self.party, "a neutral acts in its own name (org:…), not as a state"));
        }
        if self.nationalities.is_empty() {
            return Err(refuse("nationalities", "[]", "a neutral states its nationality, which the conflict check reads"));
        }
        if self.roles.is_empty() {
            return Err(refuse("roles", "[]", "a neutral is listed as mediator, arbitrator or both"));
        }
        Ok(())
    }
}

/// Something a party did about an incident, from the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Involvement {
    pub party: PartyId,
    pub incident: IncidentId,
    /// What it did, e.g. "made attribution claim …", "held evidence …".
    pub what: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub rule: &'static str,
    pub cites: &'static str,
    pub detail: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.rule, self.cites, self.detail)
    }
}

/// The parties and history of a case that the check needs.
pub struct CaseSide<'a> {
    pub claimant: &'a PartyId,
    pub respondent: &'a PartyId,
    pub incidents: &'a [IncidentId],
    /// Who mediated this dispute.
    pub mediators: Vec<&'a PartyId>,
}

/// Every conflict `arb` has for `role` in the case.
pub fn conflicts(arb: &Arbitrator, case: &CaseSide<'_>, role: PanelRole, involvement: &[Involvement]) -> Vec<Conflict> {
    let mut out = Vec::new();
    let sides = [case.claimant, case.respondent];
    for side in sides {
        if let Some(s) = side.state()
            && arb.nationalities.contains(&s)
        {
            out.push(Conflict { rule: "panel.nationality", cites: "UNCITRAL Arbitration Rules (2013), art. 6(7)", detail: format!("{} is a national of {s}, a party", arb.name) });
        }
        if &arb.party == side || arb.affiliations.contains(side) {
            out.push(Conflict {
                rule: "panel.affiliation",
                cites: "UNCITRAL Arbitration Rules (2013), arts. 11-12; IBA Guidelines (2014), Non-Waivable Red List 1.1",
                detail: format!("{} is or works for {side}, a party", arb.name),
            });
        }
    }
    let me: Vec<&PartyId> = std::iter::once(&arb.party).chain(arb.affiliations.iter()).collect();
    for inv in involvement.iter().filter(|i| case.incidents.contains(&i.incident) && me.contains(&&i.party)) {
        out.push(Conflict {
            rule: "panel.prior_involvement",
            cites: "IBA Guidelines (2014), Waivable Red List 2.1.2",
            detail: format!("{} {} on incident {}", inv.party, inv.what, inv.incident),
        });
    }
    if role == PanelRole::Arbitrator && case.mediators.contains(&&arb.party) {
        out.push(Conflict {
            rule: "panel.mediator_as_arbitrator",
            cites: "UNCITRAL Conciliation Rules (1980), art. 19",
            detail: format!("{} mediated this dispute and does not arbitrate it", arb.name),
        });
    }
    out
}
