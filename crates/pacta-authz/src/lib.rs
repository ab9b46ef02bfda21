//! Pacta's authorization decisions: who may read which record, who may report, who may
//! manage accounts.
//!
//! # Overview
//! The rules are Cedar policies in `policies/registry.cedar` at the repository root,
//! compiled into this crate so that a security officer reviews one file and the program
//! runs exactly that file. This crate turns Pacta's notions (a [`Principal`] with a role,
//! party and organisation; a [`Marking`] with a TLP level and sharing lists) into Cedar
//! entities and asks. Nothing else in Pacta decides access.
//!
//! Two kinds of question:
//! - per record: [`Authorizer::may_read`];
//! - per list: [`Authorizer::scope`], the same decision in a form a database can apply
//!   to millions of rows. It is derived from the policies by asking about probe records,
//!   which is sound because every rule is monotone in the sharing lists (see
//!   `policies/README.md`); the server also re-checks every record it shows.
//!
//! ```
//! use pacta_authz::{Authorizer, Marking, Principal, Role};
//! use pacta_core::Tlp;
//! let authz = Authorizer::new();
//! let fr = Principal::account("alice", Role::Party, Some("state:FR"), Some("org:fr-cert"));
//! let amber_for_fr = Marking { tlp: Tlp::Amber, shared_with: vec!["state:FR".into()], recipients: vec![] };
//! assert!(authz.may_read(&fr, &amber_for_fr));
//! assert!(!authz.may_read(&Principal::Public, &amber_for_fr));
//! ```
//!
//! Invariant: no I/O; the policies are compiled in. Invariant: deny by default: a policy
//! that fails to evaluate (a missing attribute) permits nothing.

use cedar_policy::{Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, Request, RestrictedExpression};
use pacta_core::Tlp;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// The policies, as reviewed.
pub const POLICIES: &str = include_str!("../../../policies/registry.cedar");

/// What an account is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The secretariat: registers parties and accounts, reports on behalf of the forum.
    Administrator,
    /// A state party's officials (foreign ministry, national CERT).
    Party,
    /// An independent verifier: forensic lab, auditor.
    Verifier,
    Arbitrator,
    Mediator,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Administrator, Role::Party, Role::Verifier, Role::Arbitrator, Role::Mediator];

    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Party => "party",
            Role::Verifier => "verifier",
            Role::Arbitrator => "arbitrator",
            Role::Mediator => "mediator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.label() == s)
    }
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Principal {
    /// Not signed in.
    Public,
    Account {
        /// The account's name (unique).
        name: String,
        role: Role,
        /// The party it acts for (`state:FR`), if any.
        party: Option<String>,
        /// Its organisation (`org:fr-cert`), if any.
        organisation: Option<String>,
    },
}

impl Principal {
    pub fn account(name: &str, role: Role, party: Option<&str>, organisation: Option<&str>) -> Principal {
        Principal::Account { name: name.to_string(), role, party: party.map(str::to_string), organisation: organisation.map(str::to_string) }
    }

    /// How the account appears in a RED recipients list.
    pub fn recipient_id(&self) -> Option<String> {
        match self {
            Principal::Public => None,
            Principal::Account { name, .. } => Some(format!("account:{name}")),
        }
    }

    /// Every grantee string that names this principal in a sharing list or as a
    /// recipient: its party, its organisation and itself.
    pub fn identities(&self) -> Vec<String> {
        match self {
            Principal::Public => Vec::new(),
            Principal::Account { party, organisation, .. } => {
                party.iter().chain(organisation.iter()).cloned().chain(self.recipient_id()).collect()
            }
        }
    }
}

/// How a record is marked and with whom it is shared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marking {
    pub tlp: Tlp,
    /// Parties and organisations (`state:FR`, `org:fr-cert`) named by an AMBER or
    /// AMBER+STRICT marking.
    pub shared_with: Vec<String>,
    /// Accounts (`account:<name>`) named as recipients of a RED record.
    pub recipients: Vec<String>,
}

impl Marking {
    /// Splits a stored grant list: `account:` entries are recipients, the rest parties
    /// and organisations.
    pub fn from_grants(tlp: Tlp, grants: impl IntoIterator<Item = String>) -> Marking {
        let (recipients, shared_with) = grants.into_iter().partition(|g| g.starts_with("account:"));
        Marking { tlp, shared_with, recipients }
    }

    /// A record marked `tlp` and shared with nobody.
    pub fn unshared(tlp: Tlp) -> Marking {
        Marking { tlp, shared_with: Vec::new(), recipients: Vec::new() }
    }
}

/// A viewer's access in a form a database filter can apply: records marked with a level
/// in `open` are visible outright; a record marked `tlp` is visible when one of its grants
/// is among `grantees`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    pub open: Vec<Tlp>,
    pub granted: Vec<(Tlp, Vec<String>)>,
}

/// Registry-wide actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Report,
    ManageAccounts,
    /// Put an artefact under custody in the evidence vault.
    AddEvidence,
    /// Make an attribution claim in the party's own name.
    Attribute,
    /// Endorse or contest another party's claim.
    TakeStance,
    /// Plan, propose and move response measures; record compliance developments.
    Respond,
}

impl Action {
    pub const ALL: [Action; 6] = [Action::Report, Action::ManageAccounts, Action::AddEvidence, Action::Attribute, Action::TakeStance, Action::Respond];

    /// The action's name in the policies (`Action::"…"`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Report => "report",
            Action::ManageAccounts => "manage_accounts",
            Action::AddEvidence => "add_evidence",
            Action::Attribute => "attribute",
            Action::TakeStance => "take_stance",
            Action::Respond => "respond",
        }
    }
}

/// The compiled policies. Build once and share: parsing the policies is the costly part.
pub struct Authorizer {
    policies: PolicySet,
    cedar: cedar_policy::Authorizer,
}

impl Default for Authorizer {
    fn default() -> Self {
        Authorizer::new()
    }
}

fn uid(kind: &str, id: &str) -> EntityUid {
    // The type names are ours and valid; the id is any string.
    EntityUid::from_type_name_and_id(EntityTypeName::from_str(kind).expect("a valid Cedar type name"), EntityId::new(id))
}

fn string(s: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(s.to_string())
}

fn set(items: &[String]) -> RestrictedExpression {
    RestrictedExpression::new_set(items.iter().map(|s| string(s)))
}

impl Authorizer {
    /// Compiles the policies. They are part of the program: a policy that does not parse
    /// is a build defect, caught by this crate's tests.
    pub fn new() -> Authorizer {
        let policies = PolicySet::from_str(POLICIES).expect("policies/registry.cedar parses (checked by the tests)");
        Authorizer { policies, cedar: cedar_policy::Authorizer::new() }
    }

    fn principal_entity(p: &Principal) -> (EntityUid, Option<Entity>) {
        match p {
            Principal::Public => (uid("Anonymous", "public"), None),
            Principal::Account { name, role, party, organisation } => {
                let id = uid("Account", name);
                let attrs = HashMap::from([
                    ("role".to_string(), string(role.label())),
                    ("party".to_string(), string(party.as_deref().unwrap_or(""))),
                    ("organisation".to_string(), string(organisation.as_deref().unwrap_or(""))),
                    ("account".to_string(), string(&format!("account:{name}"))),
                ]);
                let entity = Entity::new(id.clone(), attrs, HashSet::new()).ok();
                (id, entity)
            }
        }
    }

    fn decide(&self, principal: &Principal, action: &str, resource: EntityUid, resource_entity: Option<Entity>) -> bool {
        let (p, p_entity) = Self::principal_entity(principal);
        let entities = match Entities::from_entities(p_entity.into_iter().chain(resource_entity), None) {
            Ok(e) => e,
            Err(_) => return false,
        };
        let Ok(request) = Request::new(p, uid("Action", action), resource, Context::empty(), None) else {
            return false;
        };
        self.cedar.is_authorized(&request, &self.policies, &entities).decision() == Decision::Allow
    }

    /// May `principal` read a record marked `marking`?
    pub fn may_read(&self, principal: &Principal, marking: &Marking) -> bool {
        let id = uid("Record", "r");
        let attrs = HashMap::from([
            ("tlp".to_string(), string(marking.tlp.label())),
            ("shared_with".to_string(), set(&marking.shared_with)),
            ("recipients".to_string(), set(&marking.recipients)),
        ]);
        match Entity::new(id.clone(), attrs, HashSet::new()) {
            Ok(entity) => self.decide(principal, "read", id, Some(entity)),
            Err(_) => false,
        }
    }

    /// May `principal` take a registry-wide action?
    pub fn may(&self, principal: &Principal, action: Action) -> bool {
        self.decide(principal, action.name(), uid("Registry", "main"), None)
    }

    /// The principal's read access as a database filter, derived from the policies by
    /// probing: per TLP level, a record shared with nobody, then with exactly one of the
    /// principal's identities.
    pub fn scope(&self, principal: &Principal) -> Scope {
        let mut scope = Scope::default();
        let identities = principal.identities();
        for tlp in Tlp::ALL {
            if self.may_read(principal, &Marking::unshared(tlp)) {
                scope.open.push(tlp);
                continue;
            }
            let opening: Vec<String> = identities
                .iter()
                .filter(|id| self.may_read(principal, &Marking::from_grants(tlp, [id.to_string()])))
                .cloned()
                .collect();
            if !opening.is_empty() {
                scope.granted.push((tlp, opening));
            }
        }
        scope
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amber(tlp: Tlp, grants: &[&str]) -> Marking {
        Marking::from_grants(tlp, grants.iter().map(|s| s.to_string()))
    }

    #[test]
    fn the_policies_parse() {
        let _ = Authorizer::new();
    }

    #[test]
    fn tlp_levels_travel_as_far_as_first_says() {
        let a = Authorizer::new();
        let public = Principal::Public;
        let fr = Principal::account("fr-official", Role::Party, Some("state:FR"), Some("org:fr-mfa"));
        let fr_cert = Principal::account("fr-cert", Role::Party, Some("state:FR"), Some("org:fr-cert"));
        let lab = Principal::account("lab", Role::Verifier, None, Some("org:lab"));
        let admin = Principal::account("admin", Role::Administrator, None, Some("org:secretariat"));

        assert!(a.may_read(&public, &amber(Tlp::Clear, &[])));
        assert!(!a.may_read(&public, &amber(Tlp::Green, &[])));
        for p in [&fr, &lab, &admin] {
            assert!(a.may_read(p, &amber(Tlp::Green, &[])));
        }
        let for_fr = amber(Tlp::Amber, &["state:FR"]);
        assert!(a.may_read(&fr, &for_fr) && a.may_read(&fr_cert, &for_fr));
        assert!(!a.may_read(&lab, &for_fr) && !a.may_read(&admin, &for_fr) && !a.may_read(&public, &for_fr));
        // AMBER+STRICT: the organisation, not the rest of the state.
        let strict = amber(Tlp::AmberStrict, &["org:fr-cert", "state:FR"]);
        assert!(a.may_read(&fr_cert, &strict) && !a.may_read(&fr, &strict));
        // RED: the named person only; not the administrator by office.
        let red = amber(Tlp::Red, &["account:fr-cert", "state:FR", "org:fr-mfa"]);
        assert!(a.may_read(&fr_cert, &red) && !a.may_read(&fr, &red) && !a.may_read(&admin, &red));
        // An account with no party never matches an empty grant.
        assert!(!a.may_read(&lab, &amber(Tlp::Amber, &[""])));
    }

    #[test]
    fn only_parties_and_the_secretariat_report_and_only_the_secretariat_manages_accounts() {
        let a = Authorizer::new();
        let admin = Principal::account("admin", Role::Administrator, None, None);
        let fr = Principal::account("fr", Role::Party, Some("state:FR"), None);
        let lab = Principal::account("lab", Role::Verifier, None, None);
        assert!(a.may(&admin, Action::Report) && a.may(&fr, Action::Report));
        assert!(!a.may(&lab, Action::Report) && !a.may(&Principal::Public, Action::Report));
        assert!(a.may(&admin, Action::ManageAccounts) && !a.may(&fr, Action::ManageAccounts));
    }

    #[test]
    fn states_attribute_and_respond_verifiers_hold_evidence_and_take_stances() {
        let a = Authorizer::new();
        let admin = Principal::account("admin", Role::Administrator, None, Some("org:secretariat"));
        let fr = Principal::account("fr", Role::Party, Some("state:FR"), None);
        let partyless = Principal::account("x", Role::Party, None, Some("org:x"));
        let lab = Principal::account("lab", Role::Verifier, None, Some("org:lab"));
        let arbitrator = Principal::account("arb", Role::Arbitrator, None, None);
        for action in [Action::AddEvidence, Action::Attribute, Action::TakeStance, Action::Respond] {
            assert!(a.may(&fr, action), "a state party may {}", action.name());
            assert!(!a.may(&Principal::Public, action) && !a.may(&arbitrator, action) && !a.may(&admin, action), "{}", action.name());
        }
        // A claim or a measure is made in a state's name: an account acting for no state cannot.
        assert!(!a.may(&partyless, Action::Attribute) && !a.may(&partyless, Action::Respond));
        assert!(a.may(&lab, Action::AddEvidence) && a.may(&lab, Action::TakeStance));
        assert!(!a.may(&lab, Action::Attribute) && !a.may(&lab, Action::Respond));
    }

    #[test]
    fn scopes_are_what_the_per_record_decisions_say() {
        let a = Authorizer::new();
        assert_eq!(a.scope(&Principal::Public), Scope { open: vec![Tlp::Clear], granted: vec![] });
        let fr = Principal::account("fr", Role::Party, Some("state:FR"), Some("org:fr-cert"));
        let s = a.scope(&fr);
        assert_eq!(s.open, vec![Tlp::Clear, Tlp::Green]);
        assert_eq!(
            s.granted,
            vec![
                (Tlp::Amber, vec!["state:FR".to_string(), "org:fr-cert".to_string()]),
                (Tlp::AmberStrict, vec!["org:fr-cert".to_string()]),
                (Tlp::Red, vec!["account:fr".to_string()]),
            ]
        );
    }
}
