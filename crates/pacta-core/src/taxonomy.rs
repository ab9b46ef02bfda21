//! The closed vocabularies of an incident: what kind of operation, which sector was hit,
//! what kind of actor, and the graded effects.
//!
//! Effects are graded on the scales the research databases use (EuRepoC's intensity
//! coding), so that an imported record keeps its meaning and the norms engine can reason
//! about thresholds. An `Option` around any of them means "not known": unknown is never
//! silently read as "none".

use crate::labelled_enum;

labelled_enum! {
    /// What the operation did. An incident may be several at once (data theft and a leak).
    pub enum OperationType ("an operation type") {
        Espionage = "espionage",
        Disruption = "disruption",
        Destruction = "destruction",
        Hijacking = "hijacking",
        Influence = "influence",
        Ransomware = "ransomware",
        Reconnaissance = "reconnaissance",
        FinancialTheft = "financial_theft",
    }
}

labelled_enum! {
    /// The target's sector. The critical-infrastructure sectors follow the EU NIS2
    /// directive's annexes and the UN GGE norm 13(f) reading of "critical infrastructure".
    pub enum Sector ("a sector") {
        Energy = "energy",
        Water = "water",
        Health = "health",
        Finance = "finance",
        Transport = "transport",
        Telecommunications = "telecommunications",
        DigitalInfrastructure = "digital_infrastructure",
        Food = "food",
        Chemicals = "chemicals",
        DefenceIndustry = "defence_industry",
        Space = "space",
        EmergencyServices = "emergency_services",
        Elections = "elections",
        Government = "government",
        Military = "military",
        Legislature = "legislature",
        Judiciary = "judiciary",
        Police = "police",
        PoliticalParties = "political_parties",
        DiplomaticMissions = "diplomatic_missions",
        Media = "media",
        CivilSociety = "civil_society",
        Research = "research",
        Education = "education",
        Corporate = "corporate",
        InternationalOrganisation = "international_organisation",
        Individuals = "individuals",
        Other = "other",
        Unknown = "unknown",
    }
}

impl Sector {
    /// Whether the sector is critical infrastructure in the sense of GGE norm 13(f) and 13(g).
    pub fn is_critical_infrastructure(self) -> bool {
        matches!(
            self,
            Sector::Energy
                | Sector::Water
                | Sector::Health
                | Sector::Finance
                | Sector::Transport
                | Sector::Telecommunications
                | Sector::DigitalInfrastructure
                | Sector::Food
                | Sector::Chemicals
                | Sector::DefenceIndustry
                | Sector::Space
                | Sector::EmergencyServices
                | Sector::Elections
        )
    }

    /// Whether the sector belongs to the exercise of governmental authority (inherently
    /// governmental functions, Tallinn Manual 2.0 rule 4 commentary).
    pub fn is_governmental(self) -> bool {
        matches!(
            self,
            Sector::Government
                | Sector::Military
                | Sector::Legislature
                | Sector::Judiciary
                | Sector::Police
                | Sector::Elections
                | Sector::DiplomaticMissions
        )
    }
}

labelled_enum! {
    /// Who the alleged actor is, as far as the record says.
    pub enum ActorCategory ("an actor category") {
        State = "state",
        StateAffiliated = "state_affiliated",
        NonStateGroup = "non_state_group",
        Individual = "individual",
        Criminal = "criminal",
        Unknown = "unknown",
    }
}

labelled_enum! {
    /// Loss of functionality (EuRepoC "disruption").
    pub enum Disruption ("a disruption grade") {
        None = "none",
        ShortTerm = "short_term",
        LongTerm = "long_term",
    }
}

labelled_enum! {
    /// Data taken and its sensitivity.
    pub enum DataTheft ("a data-theft grade") {
        None = "none",
        NonSensitive = "non_sensitive",
        Sensitive = "sensitive",
    }
}

labelled_enum! {
    /// Control over systems taken (EuRepoC "hijacking").
    pub enum Hijacking ("a hijacking grade") {
        None = "none",
        WithoutMisuse = "without_misuse",
        WithMisuse = "with_misuse",
    }
}

labelled_enum! {
    /// Physical effects and how far they spread.
    pub enum PhysicalEffects ("a physical-effects grade") {
        None = "none",
        Local = "local",
        Widespread = "widespread",
    }
}

labelled_enum! {
    /// How long the effects lasted.
    pub enum EffectDuration ("a duration") {
        None = "none",
        Hours = "hours",
        Days = "days",
        Weeks = "weeks",
        Months = "months",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_refusals_list_the_choices() {
        for s in Sector::ALL {
            assert_eq!(Sector::parse("sector", s.label()).unwrap(), *s);
        }
        assert_eq!(OperationType::parse("x", "Financial Theft").unwrap(), OperationType::FinancialTheft);
        let err = OperationType::parse("operation_types[1]", "hugging").unwrap_err();
        assert_eq!(err.field, "operation_types[1]");
        assert!(err.rule.contains("espionage"), "{}", err.rule);
        assert!(Sector::Energy.is_critical_infrastructure() && !Sector::Media.is_critical_infrastructure());
    }
}
