//! Parties: who reports, attributes, responds, verifies.

use crate::error::Invalid;
use crate::labelled_enum;
use crate::state::StateCode;
use serde::{Deserialize, Serialize};
use std::fmt;

labelled_enum! {
    pub enum PartyKind ("a party kind") {
        /// A state, acting through its government.
        State = "state",
        /// An international or regional organisation, a company, a research group.
        Organisation = "organisation",
        /// An independent verifier: a forensic lab, an auditor.
        Verifier = "verifier",
    }
}

/// A party's stable handle: `state:FR`, `org:eu`, `verifier:citizen-lab`. Readable, because
/// people type it on the command line and it appears in every ledger entry.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartyId(String);

impl PartyId {
    pub fn parse(field: &str, s: &str) -> Result<Self, Invalid> {
        let rule = "expected KIND:NAME with KIND state, org or verifier and NAME of letters, digits, '.', '_' or '-' (at most 64)";
        let (kind, name) = s.split_once(':').ok_or_else(|| Invalid::new(field, s, rule))?;
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        match kind {
            "state" if name_ok => {
                let code = StateCode::parse(field, name)?;
                Ok(PartyId(format!("state:{code}")))
            }
            "org" | "verifier" if name_ok => Ok(PartyId(s.to_string())),
            _ => Err(Invalid::new(field, s, rule)),
        }
    }

    /// A party as a state names another in an invitation: `state:DE`, or the state's code
    /// alone (`DE`), as the state a measure is directed against is written.
    pub fn parse_state_or_party(field: &str, s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()) {
            StateCode::parse(field, s).map(PartyId::for_state)
        } else {
            PartyId::parse(field, s)
        }
    }

    pub fn for_state(code: StateCode) -> Self {
        PartyId(format!("state:{code}"))
    }

    /// The handle for an organisation from its display name: lower case, runs of other
    /// characters folded into '-'.
    pub fn for_organisation(name: &str) -> Self {
        PartyId(format!("org:{}", slug(name)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The state this handle names, if it names one.
    pub fn state(&self) -> Option<StateCode> {
        self.0.strip_prefix("state:").and_then(|c| StateCode::parse("party", c).ok())
    }

    /// Whether this is the forum's secretariat ([`SECRETARIAT`]).
    pub fn is_secretariat(&self) -> bool {
        self.0 == SECRETARIAT
    }
}

/// The forum's secretariat: the one non-state party that speaks for the forum. It keeps
/// the roster, appoints neutrals, schedules checks, and records the compliance a tribunal
/// confirmed; no other organisation's word ends a state's measures.
pub const SECRETARIAT: &str = "org:secretariat";

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 64 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "unnamed".to_string() } else { out }
}

impl TryFrom<String> for PartyId {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        PartyId::parse("party", &s)
    }
}

impl From<PartyId> for String {
    fn from(p: PartyId) -> String {
        p.0
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyId({})", self.0)
    }
}

/// A registered party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub id: PartyId,
    pub kind: PartyKind,
    pub name: String,
    /// The state a party belongs to: itself for a state, the seat or nationality otherwise.
    pub state: Option<StateCode>,
}

impl Party {
    pub fn state(code: StateCode) -> Self {
        Party { id: PartyId::for_state(code), kind: PartyKind::State, name: code.name().to_string(), state: Some(code) }
    }

    pub fn organisation(name: &str) -> Self {
        Party { id: PartyId::for_organisation(name), kind: PartyKind::Organisation, name: name.trim().to_string(), state: None }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(Invalid::new("party.name", &self.name, "must be 1 to 200 characters"));
        }
        match (self.kind, self.id.state()) {
            (PartyKind::State, Some(code)) if self.state == Some(code) => Ok(()),
            (PartyKind::State, _) => Err(Invalid::new("party.id", &self.id, "a state party's id is state:CODE and its state is that CODE")),
            (_, Some(_)) => Err(Invalid::new("party.id", &self.id, "only a state party may have a state: id")),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_handles_are_validated_and_normalised() {
        assert_eq!(PartyId::parse("p", "state:fr").unwrap().as_str(), "state:FR");
        assert!(PartyId::parse("p", "state:XX").is_err());
        assert!(PartyId::parse("p", "org:").is_err());
        assert!(PartyId::parse("p", "pirate:x").is_err());
        assert_eq!(PartyId::for_organisation("  Citizen Lab (Toronto) ").as_str(), "org:citizen-lab-toronto");
        assert!(Party::state(StateCode::parse("s", "DE").unwrap()).validate().is_ok());
    }
}
