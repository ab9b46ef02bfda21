//! The ladder as data: rungs compiled from the `rung` blocks of a literate Markdown file
//! (`ladder/ladder.md` at the repository root, built in; an instance may give its own).
//!
//! A block is `key: value` lines. Unknown keys, missing keys, unknown values and duplicate
//! ids are refused with the file's line, so a reviewer's typo never silently loosens a gate.

use pacta_core::{ComplianceKind, Confidence, Invalid};
use serde::Serialize;
use crate::status::AttributionStatus;

/// The built-in ladder's text, as under the repository's `ladder/` directory.
pub const BUILTIN: &str = include_str!("../../../ladder/ladder.md");
pub const BUILTIN_PATH: &str = "ladder/ladder.md";

pacta_core::labelled_enum! {
    /// The legal basis of a rung, which decides what the norms engine must allow.
    pub enum LegalBasis ("a legal basis") {
        /// Lawful in itself and directed against no one's rights (cooperation, settlement).
        LawfulAct = "lawful_act",
        /// Unfriendly but lawful conduct: needs no prior wrongful act.
        Retorsion = "retorsion",
        /// Wrongful but for a prior wrongful act of the target (ILC arts. 22, 49-53).
        Countermeasure = "countermeasure",
        /// Force against an armed attack (UN Charter art. 51).
        SelfDefence = "self_defence",
    }
}

impl LegalBasis {
    /// The developments after which the law ends (or suspends) a measure on this basis,
    /// as alternatives of conditions that must all hold. An instance's ladder may add its
    /// own; it cannot take these away.
    pub fn legal_lift_when(self) -> &'static [&'static [ComplianceKind]] {
        match self {
            // Art. 53 (compliance) and art. 52(3) (cessation with a binding forum seized).
            LegalBasis::Countermeasure => &[
                &[ComplianceKind::ResponsibleStateComplied],
                &[ComplianceKind::WrongfulActCeased, ComplianceKind::DisputeBeforeTribunal],
            ],
            // Art. 51: once the armed attack has ended, force is no longer self-defence.
            LegalBasis::SelfDefence => &[&[ComplianceKind::WrongfulActCeased]],
            LegalBasis::LawfulAct | LegalBasis::Retorsion => &[],
        }
    }

    /// Where the law ends measures on this basis, for a reader; `None` when only the
    /// instance's policy does.
    pub fn lift_law(self) -> Option<&'static str> {
        match self {
            LegalBasis::Countermeasure => Some("ILC Articles, arts. 52(3) and 53"),
            LegalBasis::SelfDefence => Some("UN Charter art. 51"),
            LegalBasis::LawfulAct | LegalBasis::Retorsion => None,
        }
    }

    /// The engine's response kind whose availability this basis needs.
    pub fn response_kind(self) -> pacta_norms::ResponseKind {
        match self {
            LegalBasis::LawfulAct | LegalBasis::Retorsion => pacta_norms::ResponseKind::Retorsion,
            LegalBasis::Countermeasure => pacta_norms::ResponseKind::Countermeasures,
            LegalBasis::SelfDefence => pacta_norms::ResponseKind::SelfDefence,
        }
    }
}

pacta_core::labelled_enum! {
    pub enum Reversibility ("a reversibility") {
        Reversible = "reversible",
        Partly = "partly",
        Irreversible = "irreversible",
    }
}

pacta_core::labelled_enum! {
    pub enum CivilianHarm ("a civilian-harm risk") {
        None = "none",
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

/// The attribution standard a rung needs against the state it is directed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Gate {
    /// `None`: no likelihood needed.
    pub confidence: Option<Confidence>,
    /// [`AttributionStatus::None`]: no attribution needed.
    pub status: AttributionStatus,
}

impl Gate {
    /// Whether the gate needs any attribution at all.
    pub fn needs_attribution(&self) -> bool {
        self.confidence.is_some() || self.status != AttributionStatus::None
    }
}

/// One rung.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rung {
    pub id: String,
    pub name: String,
    pub basis: LegalBasis,
    pub cites: String,
    pub gate: Gate,
    /// 1 to 10.
    pub severity: u8,
    pub reversibility: Reversibility,
    pub civilian_harm: CivilianHarm,
    /// Alternatives, each a set of developments that must all have happened.
    pub lift_when: Vec<Vec<ComplianceKind>>,
    /// Where the rung is defined: `PATH:LINE`.
    pub at: String,
}

impl Rung {
    /// Whether the law, not only policy, requires lifting once a lift condition is met:
    /// a countermeasure ends with compliance (ILC arts. 52(3), 53), and self-defence with
    /// the armed attack it answers (UN Charter art. 51, read with necessity and immediacy;
    /// force after the attack is over is a reprisal).
    pub fn lift_is_binding(&self) -> bool {
        self.basis.lift_law().is_some()
    }

    /// The lift conditions in the file's words.
    pub fn lift_words(&self) -> String {
        self.lift_when
            .iter()
            .map(|all| all.iter().map(|k| k.label()).collect::<Vec<_>>().join(" and "))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// A compiled ladder, rungs in file order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ladder {
    pub source: String,
    pub rungs: Vec<Rung>,
}

/// The rung ids every ladder must define: the issue's minimum vocabulary, which the CLI,
/// the server and tests refer to by id.
pub const REQUIRED_RUNGS: &[&str] = &[
    "private_protest",
    "demarche",
    "public_condemnation",
    "technical_assistance",
    "expulsion_of_diplomats",
    "targeted_sanctions",
    "asset_freezes",
    "technology_transfer_restrictions",
    "criminal_indictments",
    "countermeasures",
    "collective_measures",
    "dispute_settlement",
    "self_defence",
];

/// A `rung` block being read: the line it opens on, and its `(line, key, value)` entries.
type OpenBlock = (usize, Vec<(usize, String, String)>);

impl Ladder {
    /// The built-in ladder, compiled once. It is checked by a test, so this cannot fail in
    /// a release.
    pub fn builtin() -> &'static Ladder {
        static LADDER: std::sync::OnceLock<Ladder> = std::sync::OnceLock::new();
        LADDER.get_or_init(|| Ladder::parse(BUILTIN_PATH, BUILTIN).expect("the built-in ladder compiles (tested)"))
    }

    pub fn rung(&self, id: &str) -> Option<&Rung> {
        self.rungs.iter().find(|r| r.id == id)
    }

    /// Looks a rung up, refusing an unknown id with the list of known ones.
    pub fn require(&self, field: &str, id: &str) -> Result<&Rung, Invalid> {
        self.rung(id).ok_or_else(|| {
            Invalid::new(field, id, format!("unknown rung; this ladder has: {}", self.rungs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")))
        })
    }

    /// Compiles the `rung` blocks of `text`. Errors name `path:line`.
    pub fn parse(path: &str, text: &str) -> Result<Ladder, Invalid> {
        let mut rungs: Vec<Rung> = Vec::new();
        let mut block: Option<OpenBlock> = None;
        for (n, line) in text.lines().enumerate() {
            let n = n + 1;
            let trimmed = line.trim();
            match &mut block {
                None if trimmed == "```rung" => block = Some((n, Vec::new())),
                None => {}
                Some((start, lines)) if trimmed == "```" => {
                    let rung = compile(path, *start, lines)?;
                    if rungs.iter().any(|r| r.id == rung.id) {
                        return Err(Invalid::new(format!("{path}:{start}"), &rung.id, "a rung id is defined once"));
                    }
                    rungs.push(rung);
                    block = None;
                }
                Some((_, lines)) => {
                    if trimmed.is_empty() {
                        continue;
                    }
                    let (k, v) = trimmed
                        .split_once(':')
                        .ok_or_else(|| Invalid::new(format!("{path}:{n}"), trimmed, "a rung line is KEY: VALUE"))?;
                    lines.push((n, k.trim().to_string(), v.trim().to_string()));
                }
            }
        }
        if let Some((start, _)) = block {
            return Err(Invalid::new(format!("{path}:{start}"), "```rung", "the block is never closed"));
        }
        if path != BUILTIN_PATH {
            check_against_builtin(&rungs)?;
        }
        for id in REQUIRED_RUNGS {
            if !rungs.iter().any(|r| r.id == *id) {
                return Err(Invalid::new(path, id, format!("every ladder defines the rungs {}", REQUIRED_RUNGS.join(", "))));
            }
        }
        Ok(Ladder { source: path.to_string(), rungs })
    }
}

/// What an instance's ladder may not change: the legal basis of the rungs every ladder
/// shares (an asset freeze is a countermeasure whatever a file calls it), and the reach of
/// retorsion, which is lawful conduct: a rung of the instance's own graver than any
/// retorsion of the built-in ladder must be declared a countermeasure and pass its law.
fn check_against_builtin(rungs: &[Rung]) -> Result<(), Invalid> {
    let reference = Ladder::builtin();
    let lawful = |b: LegalBasis| matches!(b, LegalBasis::Retorsion | LegalBasis::LawfulAct);
    let ceiling = reference.rungs.iter().filter(|r| lawful(r.basis)).map(|r| r.severity).max().unwrap_or(1);
    for rung in rungs {
        match reference.rung(&rung.id) {
            Some(r) if REQUIRED_RUNGS.contains(&rung.id.as_str()) && r.basis != rung.basis => {
                return Err(Invalid::new(
                    &rung.at,
                    rung.basis,
                    format!("the law fixes the basis of `{0}`: `{0}` is {1} in the built-in ladder ({2}); an instance may set its gates, not its basis", rung.id, r.basis, r.at),
                ));
            }
            None if lawful(rung.basis) && rung.severity > ceiling => {
                return Err(Invalid::new(
                    &rung.at,
                    rung.severity,
                    format!("a {} rung of severity above {ceiling} (the gravest lawful rung of the built-in ladder) is no longer plainly lawful: declare it a countermeasure", rung.basis),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn compile(path: &str, start: usize, lines: &[(usize, String, String)]) -> Result<Rung, Invalid> {
    const KEYS: &[&str] = &["id", "name", "basis", "cites", "gate confidence", "gate status", "severity", "reversibility", "civilian harm", "lift when"];
    for (n, k, _) in lines {
        if !KEYS.contains(&k.as_str()) {
            return Err(Invalid::new(format!("{path}:{n}"), k, format!("unknown key; a rung has: {}", KEYS.join(", "))));
        }
        if lines.iter().filter(|(_, k2, _)| k2 == k).count() > 1 {
            return Err(Invalid::new(format!("{path}:{n}"), k, "each key is given once"));
        }
    }
    let get = |key: &str| -> Result<(String, String), Invalid> {
        lines
            .iter()
            .find(|(_, k, _)| k == key)
            .map(|(n, _, v)| (format!("{path}:{n}"), v.clone()))
            .ok_or_else(|| Invalid::new(format!("{path}:{start}"), key, "missing from the rung block"))
    };
    let (at, id) = get("id")?;
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(Invalid::new(at, id, "a rung id is 1 to 64 of a-z, 0-9 and _"));
    }
    let (_, name) = get("name")?;
    let (at_basis, basis) = get("basis")?;
    let (_, cites) = get("cites")?;
    let (at_conf, conf) = get("gate confidence")?;
    let confidence = if conf == "none" { None } else { Some(Confidence::parse(&at_conf, &conf)?) };
    let (at_status, status) = get("gate status")?;
    let status = AttributionStatus::parse(&at_status, &status)?;
    if status == AttributionStatus::Contested {
        return Err(Invalid::new(at_status, "contested", "a gate asks for support: none, single_source, corroborated or independently_verified"));
    }
    let (at_sev, sev) = get("severity")?;
    let severity: u8 = sev.parse().ok().filter(|s| (1..=10).contains(s)).ok_or_else(|| Invalid::new(&at_sev, &sev, "severity is a whole number from 1 to 10"))?;
    let (at_rev, rev) = get("reversibility")?;
    let (at_harm, harm) = get("civilian harm")?;
    let (at_lift, lift) = get("lift when")?;
    let mut lift_when = Vec::new();
    for alternative in lift.split(" or ") {
        let mut all = Vec::new();
        for cond in alternative.split(" and ") {
            let kind = ComplianceKind::parse(&at_lift, cond.trim())?;
            if kind == ComplianceKind::CallToComply {
                return Err(Invalid::new(&at_lift, cond, "a call to comply starts the arc; it does not end a measure"));
            }
            all.push(kind);
        }
        lift_when.push(all);
    }
    Ok(Rung {
        at: format!("{path}:{start}"),
        id,
        name,
        basis: LegalBasis::parse(&at_basis, &basis)?,
        cites,
        gate: Gate { confidence, status },
        severity,
        reversibility: Reversibility::parse(&at_rev, &rev)?,
        civilian_harm: CivilianHarm::parse(&at_harm, &harm)?,
        lift_when,
    })
}
