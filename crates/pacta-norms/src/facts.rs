//! The facts rules may speak of: a closed catalogue of named yes/no questions about an
//! incident, its attributions and (for response duties) a contemplated response.
//!
//! Every fact has three values: yes, no, or unknown. Unknown is never read as no: a rule
//! whose outcome depends on an unknown fact is reported as "cannot tell" and names it.
//! A rule file that names a fact outside this catalogue is refused at load.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Three-valued truth (Kleene's strong logic): `and` is no as soon as one side is no,
/// `or` is yes as soon as one side is yes, otherwise unknown taints the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    Yes,
    No,
    #[default]
    Unknown,
}

impl Tri {
    #[inline]
    pub fn from_bool(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }
    #[inline]
    pub fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Unknown,
        }
    }
    #[inline]
    pub fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Unknown,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Tri::Yes => "yes",
            Tri::No => "no",
            Tri::Unknown => "unknown",
        }
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;
    #[inline]
    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

impl fmt::Display for Tri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

macro_rules! facts {
    ($( $variant:ident = $name:literal : $doc:literal ),+ $(,)?) => {
        /// A fact of the catalogue. Its label is the name rules use.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Fact { $( #[doc = $doc] $variant ),+ }

        impl Fact {
            pub const ALL: &'static [Fact] = &[$(Fact::$variant),+];
            pub fn name(self) -> &'static str {
                match self { $(Fact::$variant => $name),+ }
            }
            /// What the fact means, in one line, for the norms README and error messages.
            pub fn meaning(self) -> &'static str {
                match self { $(Fact::$variant => $doc),+ }
            }
            pub fn from_name(s: &str) -> Option<Fact> {
                match s { $($name => Some(Fact::$variant),)+ _ => None }
            }
        }
    };
}

facts! {
    // What the operation did (from the incident's operation types; unknown when none recorded).
    OpEspionage = "op_espionage": "the operation collected information (espionage)",
    OpDisruption = "op_disruption": "the operation disrupted systems or services",
    OpDestruction = "op_destruction": "the operation destroyed data, systems or equipment",
    OpHijacking = "op_hijacking": "the operation took control of systems",
    OpInfluence = "op_influence": "the operation sought to influence opinion (disinformation, hack and leak)",
    OpRansomware = "op_ransomware": "the operation encrypted or locked systems for ransom",
    OpReconnaissance = "op_reconnaissance": "the operation only scanned or mapped systems",
    OpFinancialTheft = "op_financial_theft": "the operation stole money or financial assets",
    // Effects (from the incident's graded effects; unknown when the source does not say).
    Intrusion = "intrusion": "systems were entered without authorisation",
    LossOfFunctionality = "loss_of_functionality": "systems or services lost functionality",
    LastingLossOfFunctionality = "lasting_loss_of_functionality": "the loss of functionality lasted more than a day, or needed physical repair",
    PhysicalDamage = "physical_damage": "objects were physically damaged or destroyed",
    WidespreadPhysicalDamage = "widespread_physical_damage": "physical damage spread beyond one site",
    InjuryOrDeath = "injury_or_death": "people were injured or killed as a consequence",
    DataTheft = "data_theft": "data were taken",
    SensitiveDataTheft = "sensitive_data_theft": "sensitive data were taken",
    DataLeaked = "data_leaked": "data were leaked or published",
    SystemsHijacked = "systems_hijacked": "control over systems was taken",
    HijackedWithMisuse = "hijacked_with_misuse": "control over systems was taken and misused",
    MajorEconomicLoss = "major_economic_loss": "the economic loss reached EUR 10 million or more",
    SpilloverToThirdStates = "spillover_to_third_states": "effects spread to states that were not targeted",
    // Targets.
    TargetsAState = "targets_a_state": "a target is located in a state's territory",
    TargetsForeignTerritory = "targets_foreign_territory": "a target lies in a state other than the one the conduct is attributed to",
    TargetsCriticalInfrastructure = "targets_critical_infrastructure": "a target is critical infrastructure (GGE norm 13(f) reading, EU NIS2 sectors)",
    TargetsGovernmentalFunctions = "targets_governmental_functions": "a target exercises inherently governmental functions",
    TargetsElections = "targets_elections": "a target is an election or its infrastructure",
    TargetsHealth = "targets_health": "a target is a health-care provider",
    TargetsPeople = "targets_people": "a target is individuals or civil society (journalists and activists included)",
    TargetsMedia = "targets_media": "a target is a news medium (an outlet, its publication systems or its staff)",
    TargetsEmergencyResponseTeams = "targets_emergency_response_teams": "a target is a CERT or CSIRT",
    TargetsInternationalOrganisation = "targets_international_organisation": "a target is an international organisation",
    // Circumstances.
    InArmedConflict = "in_armed_conflict": "the operation took place in an armed conflict",
    Consent = "consent": "the targeted state consented to the operation",
    ZeroDay = "zero_day": "a zero-day vulnerability was exploited",
    SupplyChainCompromise = "supply_chain_compromise": "the operation compromised an ICT supply chain",
    IntentToCompel = "intent_to_compel": "the operation was meant to compel the target state to act or abstain",
    // Attribution claims. These are facts about the record of claims: when no such claim
    // is on record, the answer is no (there is no such claim), not unknown.
    AttributedToStateOrgan = "attributed_to_state_organ": "a credible attribution names a state organ as the actor",
    AttributedToStateControlledActor = "attributed_to_state_controlled_actor": "a credible attribution names an actor instructed, directed or controlled by a state",
    ConductAcknowledgedAndAdopted = "conduct_acknowledged_and_adopted": "a state has acknowledged and adopted the conduct as its own",
    NonStateActorOnTerritory = "non_state_actor_on_territory": "a credible attribution names a non-state actor operating from a state's territory",
    PerspectiveIsInjuredState = "perspective_is_injured_state": "the state whose view is taken is among the targeted states and not among those the conduct is attributed to",
    // Due diligence (supplied by later workflows).
    TerritorialStateKnew = "territorial_state_knew": "the territorial state knew or should have known of the activity",
    RequestToStopUnanswered = "request_to_stop_unanswered": "a request to the territorial state to stop the activity went unanswered",
    FeasibleMeasuresNotTaken = "feasible_measures_not_taken": "the territorial state did not take measures feasible to it",
    // Cooperation under the voluntary norms (supplied by later workflows).
    CooperationRefused = "cooperation_refused": "a request to exchange information or assist prosecution was refused",
    RelevantInformationDisregarded = "relevant_information_disregarded": "a state reacted without considering the relevant information",
    CriticalInfrastructureUnprotected = "critical_infrastructure_unprotected": "the targeted state took no appropriate measures to protect its critical infrastructure",
    VulnerabilityWithheld = "vulnerability_withheld": "a state knowingly withheld a vulnerability from those who could fix it",
    ConsultationRequestUnanswered = "consultation_request_unanswered": "a request for consultations through the agreed contact points went unanswered",
    // A contemplated or taken response (supplied by the respond workflow).
    PriorCallToComply = "prior_call_to_comply": "the injured state called on the responsible state to comply before acting",
    NotifiedWithOfferToNegotiate = "notified_with_offer_to_negotiate": "the injured state notified its decision and offered to negotiate",
    UrgentCountermeasures = "urgent_countermeasures": "the measure is urgent and needed to preserve the injured state's rights",
    ResponseProportionate = "response_proportionate": "the measure is commensurate with the injury suffered",
    ResponseReversible = "response_reversible": "the measure can be undone so the obligations can resume",
    ResponseAffectsProtectedObligations = "response_affects_protected_obligations": "the measure affects the prohibition of force, human rights, humanitarian or peremptory obligations",
    WrongfulActCeased = "wrongful_act_ceased": "the wrongful act has ceased",
    ResponsibleStateComplied = "responsible_state_complied": "the responsible state has complied with its obligations of cessation and reparation",
    DisputeBeforeTribunal = "dispute_before_tribunal": "the dispute is pending before a court or tribunal that can bind the parties",
    GraveAndImminentPeril = "grave_and_imminent_peril": "an essential interest faces a grave and imminent peril",
    OnlyMeansToSafeguard = "only_means_to_safeguard": "the measure is the only way to safeguard that interest",
    ImpairsEssentialInterestOfOthers = "impairs_essential_interest_of_others": "the measure seriously impairs an essential interest of another state or of the international community",
    ContributedToNecessity = "contributed_to_necessity": "the state invoking necessity contributed to the situation",
    ArmedAttackOngoingOrImminent = "armed_attack_ongoing_or_imminent": "the armed attack is ongoing or imminent",
    SelfDefenceNecessary = "self_defence_necessary": "force is necessary because no other means would repel the attack",
    SelfDefenceProportionate = "self_defence_proportionate": "the force used does not exceed what repelling the attack requires",
    ReportedToSecurityCouncil = "reported_to_security_council": "the measures were immediately reported to the UN Security Council",
    SecurityCouncilHasActed = "security_council_has_acted": "the Security Council has taken the measures necessary to maintain peace",
}

pub(crate) const FACT_COUNT: usize = Fact::ALL.len();
const _: () = assert!(FACT_COUNT <= 128, "missing-fact sets are 128-bit masks");

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Fact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Fact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Fact::from_name(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown fact {s:?}")))
    }
}

/// The value of every fact of the catalogue for one case; unknown unless set.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FactSet {
    values: [Tri; FACT_COUNT],
}

impl Default for FactSet {
    fn default() -> Self {
        FactSet { values: [Tri::Unknown; FACT_COUNT] }
    }
}

impl FactSet {
    /// Every fact unknown.
    pub fn unknown() -> Self {
        Self::default()
    }
    #[inline]
    pub fn get(&self, f: Fact) -> Tri {
        self.values[f as usize]
    }
    #[inline]
    pub fn set(&mut self, f: Fact, v: Tri) {
        self.values[f as usize] = v;
    }
    pub fn with(mut self, f: Fact, v: bool) -> Self {
        self.set(f, Tri::from_bool(v));
        self
    }
    /// The known facts, in catalogue order.
    pub fn known(&self) -> impl Iterator<Item = (Fact, bool)> + '_ {
        Fact::ALL.iter().filter_map(|f| match self.get(*f) {
            Tri::Yes => Some((*f, true)),
            Tri::No => Some((*f, false)),
            Tri::Unknown => None,
        })
    }
    /// (known yes, known no, unknown) as bit masks over fact numbers.
    pub(crate) fn masks(&self) -> (u128, u128, u128) {
        let (mut yes, mut no) = (0u128, 0u128);
        for (i, v) in self.values.iter().enumerate() {
            match v {
                Tri::Yes => yes |= 1 << i,
                Tri::No => no |= 1 << i,
                Tri::Unknown => {}
            }
        }
        let all = if FACT_COUNT == 128 { u128::MAX } else { (1u128 << FACT_COUNT) - 1 };
        (yes, no, all & !(yes | no))
    }
    #[inline]
    pub(crate) fn at(&self, i: u8) -> Tri {
        self.values[i as usize]
    }
}

impl fmt::Debug for FactSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.known().map(|(k, v)| (k.name(), v))).finish()
    }
}

/// The facts a conclusion is missing: a set, kept as a bit mask so that reaching a
/// conclusion allocates nothing. Serialises as a list of fact names.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Missing(pub(crate) u128);

impl Missing {
    #[inline]
    pub(crate) fn insert(&mut self, i: u8) {
        self.0 |= 1u128 << i;
    }
    #[inline]
    pub(crate) fn union(&mut self, o: Missing) {
        self.0 |= o.0;
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }
    pub fn contains(&self, f: &Fact) -> bool {
        self.0 & (1u128 << (*f as u8)) != 0
    }
    /// The facts, in catalogue order.
    pub fn iter(&self) -> impl Iterator<Item = Fact> + '_ {
        Fact::ALL.iter().copied().filter(|f| self.contains(f))
    }
    pub fn to_vec(&self) -> Vec<Fact> {
        self.iter().collect()
    }
}

impl FromIterator<Fact> for Missing {
    fn from_iter<I: IntoIterator<Item = Fact>>(it: I) -> Self {
        let mut m = Missing::default();
        for f in it {
            m.insert(f as u8);
        }
        m
    }
}

impl PartialEq<Vec<Fact>> for Missing {
    fn eq(&self, o: &Vec<Fact>) -> bool {
        self.to_vec() == *o
    }
}

impl fmt::Debug for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(|x| x.name())).finish()
    }
}

impl Serialize for Missing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Missing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Fact>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_logic_never_turns_unknown_into_no() {
        use Tri::*;
        assert_eq!(Unknown.and(No), No);
        assert_eq!(Unknown.and(Yes), Unknown);
        assert_eq!(Unknown.or(Yes), Yes);
        assert_eq!(Unknown.or(No), Unknown);
        assert_eq!(!Unknown, Unknown);
    }

    #[test]
    fn fact_names_round_trip() {
        for f in Fact::ALL {
            assert_eq!(Fact::from_name(f.name()), Some(*f));
            assert!(!f.name().contains('.'), "fact names have no dot: dotted names are rule ids");
        }
    }
}
