//! Traffic Light Protocol 2.0 markings (FIRST), with the OASIS STIX marking-definition ids.

use crate::error::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How far a record may travel. Ordered from least to most restrictive, so
/// `a <= b` reads "a is at most as restrictive as b".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tlp {
    #[serde(rename = "CLEAR")]
    Clear,
    #[serde(rename = "GREEN")]
    Green,
    #[serde(rename = "AMBER")]
    Amber,
    #[serde(rename = "AMBER+STRICT")]
    AmberStrict,
    #[serde(rename = "RED")]
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }

    /// The STIX 2.1 marking-definition id that OASIS publishes for this TLP 2.0 level.
    pub fn stix_marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Tlp, Invalid> {
        let norm = s.trim().to_ascii_uppercase();
        let norm = norm.strip_prefix("TLP:").unwrap_or(&norm);
        match norm {
            "CLEAR" | "WHITE" => Ok(Tlp::Clear),
            "GREEN" => Ok(Tlp::Green),
            "AMBER" => Ok(Tlp::Amber),
            "AMBER+STRICT" => Ok(Tlp::AmberStrict),
            "RED" => Ok(Tlp::Red),
            _ => Err(Invalid::new(field, s, "expected a TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED")),
        }
    }
}

impl FromStr for Tlp {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Tlp::parse("tlp", s)
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_levels_parse_and_order_by_restriction() {
        assert_eq!("tlp:amber+strict".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
        assert_eq!("WHITE".parse::<Tlp>().unwrap(), Tlp::Clear, "TLP 1.0 WHITE is TLP 2.0 CLEAR");
        assert!(Tlp::Clear < Tlp::Green && Tlp::Amber < Tlp::AmberStrict && Tlp::AmberStrict < Tlp::Red);
        let err = "ORANGE".parse::<Tlp>().unwrap_err();
        assert_eq!((err.field.as_str(), err.value.as_str()), ("tlp", "ORANGE"));
        assert_eq!(Tlp::Red.stix_marking_id(), "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
    }
}
