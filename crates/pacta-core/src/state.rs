//! States, identified by ISO 3166-1 alpha-2 codes.

use crate::error::Invalid;
use crate::iso3166::{COUNTRIES, NAME_ALIASES};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A state, by its ISO 3166-1 alpha-2 code. Invariant: the code is in the ISO table
/// (plus `XK`), upper case; a `StateCode` cannot hold anything else.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StateCode([u8; 2]);

impl StateCode {
    /// Parses an alpha-2 code; lower case is accepted and normalised.
    pub fn parse(field: &str, code: &str) -> Result<Self, Invalid> {
        let upper = code.trim().to_ascii_uppercase();
        if upper.len() == 2 && COUNTRIES.binary_search_by(|(c, _)| c.cmp(&upper.as_str())).is_ok() {
            let b = upper.as_bytes();
            Ok(StateCode([b[0], b[1]]))
        } else {
            Err(Invalid::new(field, code, "expected an ISO 3166-1 alpha-2 country code such as \"FR\""))
        }
    }

    /// Looks a state up by its English name or a common alias ("Russia", "United States").
    /// Returns `None` for regions, organisations and "Unknown": those are not states.
    pub fn from_name(name: &str) -> Option<Self> {
        let key = name.trim().to_lowercase();
        let lookup = |k: &str| {
            let i = NAME_ALIASES.binary_search_by(|(n, _)| n.cmp(&k)).ok()?;
            StateCode::parse("state", NAME_ALIASES[i].1).ok()
        };
        // UN-style names put the qualifier in brackets ("Iran (Islamic Republic of)") where
        // ISO puts it after a comma ("Iran, Islamic Republic of"); "Palestine, State of"
        // is the reverse case. Try the name as given, then the other form, then the bare name.
        if let Some(code) = lookup(&key) {
            return Some(code);
        }
        if let Some((head, rest)) = key.split_once(" (") {
            let qualifier = rest.trim_end_matches(')');
            return lookup(&format!("{head}, {qualifier}")).or_else(|| lookup(head));
        }
        // Only a qualifier may follow the comma ("State of", "Republic of"); "Belarus,
        // Russian Federation" is two states, not Belarus.
        key.split_once(", ").filter(|(_, q)| q.ends_with(" of") || *q == "the").and_then(|(head, _)| lookup(head))
    }

    pub fn as_str(&self) -> &str {
        // Invariant of the type: always two ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The English short name from the ISO table.
    pub fn name(&self) -> &'static str {
        COUNTRIES
            .binary_search_by(|(c, _)| c.cmp(&self.as_str()))
            .map(|i| COUNTRIES[i].1)
            .unwrap_or("unknown")
    }

    /// Every code the registry knows, in code order.
    pub fn all() -> impl Iterator<Item = StateCode> {
        COUNTRIES.iter().filter_map(|(c, _)| StateCode::parse("state", c).ok())
    }
}

impl FromStr for StateCode {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        StateCode::parse("state", s)
    }
}

impl TryFrom<String> for StateCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        StateCode::parse("state", &s)
    }
}

impl From<StateCode> for String {
    fn from(s: StateCode) -> String {
        s.as_str().to_string()
    }
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateCode({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_against_the_iso_table() {
        assert_eq!(StateCode::parse("x", "fr").unwrap().as_str(), "FR");
        let err = StateCode::parse("targets[0].state", "ZZ").unwrap_err();
        assert_eq!(err.field, "targets[0].state");
        assert_eq!(err.value, "ZZ");
        assert!(StateCode::parse("x", "FRA").is_err());
    }

    #[test]
    fn research_data_names_resolve_to_codes() {
        for (name, code) in [("Russia", "RU"), ("United States", "US"), ("Iran", "IR"), ("Turkey", "TR"), ("Korea, Democratic People's Republic of", "KP"), ("Palestine", "PS"), ("Iran (Islamic Republic of)", "IR"), ("Korea (Democratic People's Republic of)", "KP"), ("Palestine, State of", "PS"), ("Russian Federation", "RU")] {
            assert_eq!(StateCode::from_name(name).map(|s| s.to_string()), Some(code.to_string()), "{name}");
        }
        assert_eq!(StateCode::from_name("Europe (region)"), None);
        assert_eq!(StateCode::from_name("Unknown"), None);
        assert_eq!(StateCode::from_name("Belarus, Russian Federation"), None, "two states are not one");
    }
}
