//! The closed vocabularies rule tags and assessments use.

pacta_core::labelled_enum! {
    /// The breach categories EuRepoC codes (and that rules may be tagged with), so that
    /// our findings can be compared with the experts'.
    pub enum Category ("a breach category") {
        Sovereignty = "sovereignty",
        DueDiligence = "due_diligence",
        HumanRights = "human_rights",
        CyberEspionage = "cyber_espionage",
        InternationalPeace = "international_peace",
        Intervention = "prohibition_of_intervention",
    }
}

pacta_core::labelled_enum! {
    /// How serious the conduct is, from least to most.
    pub enum Threshold ("a threshold") {
        BelowThreshold = "below_threshold",
        Sovereignty = "sovereignty",
        Intervention = "intervention",
        UseOfForce = "use_of_force",
        ArmedAttack = "armed_attack",
    }
}

pacta_core::labelled_enum! {
    /// Why conduct engages a state's responsibility, strongest first (ILC arts. 4, 8, 11,
    /// and the territorial state's own failure of due diligence).
    pub enum ResponsibilityBasis ("a basis of state responsibility") {
        Organ = "organ",
        InstructedOrControlled = "instructed_or_controlled",
        AcknowledgedAndAdopted = "acknowledged_and_adopted",
        DueDiligenceFailure = "due_diligence_failure",
        None = "none",
    }
}

pacta_core::labelled_enum! {
    /// The lawful responses the envelope speaks of, from mildest to gravest.
    pub enum ResponseKind ("a response") {
        Retorsion = "retorsion",
        Countermeasures = "countermeasures",
        Necessity = "necessity",
        SelfDefence = "self_defence",
    }
}

pacta_core::labelled_enum! {
    /// A rule's finding. Breach is reported only for binding law; a voluntary norm that is
    /// not honoured is "inconsistent with norm".
    pub enum Status ("a finding") {
        Breached = "breached",
        InconsistentWithNorm = "inconsistent_with_norm",
        NotBreached = "not_breached",
        NotApplicable = "not_applicable",
        Permitted = "permitted",
        NotPermitted = "not_permitted",
        Holds = "holds",
        DoesNotHold = "does_not_hold",
        CannotTell = "cannot_tell",
    }
}

impl Status {
    /// The finding in words, for the text rendering.
    pub fn words(self) -> &'static str {
        match self {
            Status::Breached => "BREACHED",
            Status::InconsistentWithNorm => "INCONSISTENT WITH NORM",
            Status::NotBreached => "not breached",
            Status::NotApplicable => "not applicable",
            Status::Permitted => "permitted",
            Status::NotPermitted => "not permitted",
            Status::Holds => "holds",
            Status::DoesNotHold => "does not hold",
            Status::CannotTell => "CANNOT TELL",
        }
    }
}
