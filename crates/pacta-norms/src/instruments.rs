//! Loading and compiling instrument files: names are resolved to slots (facts by index,
//! rules by index), exceptions are attached to the rule they qualify, and rules are put in
//! an order in which every rule comes after the rules it reads. Nothing is compiled from
//! a set of files with any error: the caller gets every error, each at file:line:column.

use crate::facts::{Fact, Tri};
use crate::lang::{self, err, Block, Expr, Force, Kind, LoadError, Pos, Value};
use crate::model::{Category, ResponseKind, ResponsibilityBasis, Threshold};
use chrono::NaiveDate;
use pacta_core::StateCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use crate::name::Name;

/// How many rules one set of instruments may hold (numbered in 16 bits, `u16::MAX` meaning
/// none). The codified law holds a few hundred.
const MAX_RULES: usize = u16::MAX as usize - 1;

/// Where an instrument is in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Scope {
    /// Binds or addresses every state (custom, UN instruments).
    Universal,
    /// A regional overlay for its participating states; it may add to universal rules but
    /// never makes an exception to them.
    Regional { parties: Vec<StateCode> },
    /// One state's stated position on how the law applies: used when that state's view is
    /// taken.
    National { state: StateCode },
    /// A treaty, binding its parties only: in force for a case when a state the claims name
    /// is bound by it at the case's date. Written as the states that are not parties (the
    /// shorter list for a near-universal treaty) and the dates from which states that
    /// joined late are bound.
    Treaty { non_parties: Vec<StateCode>, joined: Vec<(StateCode, NaiveDate)> },
}

impl Scope {
    /// Whether the treaty binds `state` on `date` (an unknown date: whether it binds it
    /// today). Every other scope binds every state it applies to.
    pub fn binds(&self, state: StateCode, date: Option<NaiveDate>) -> bool {
        match self {
            Scope::Treaty { non_parties, joined } => {
                !non_parties.contains(&state) && joined.iter().find(|(s, _)| *s == state).is_none_or(|(_, from)| date.is_none_or(|d| d >= *from))
            }
            _ => true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentInfo {
    pub id: Name,
    pub title: String,
    pub cites: String,
    pub file: String,
    #[serde(flatten)]
    pub scope: Scope,
    /// Date from which the instrument applies (adoption or publication); `None` for
    /// customary law, which the engine applies whatever the date.
    pub from: Option<NaiveDate>,
    /// Set by `force: voluntary` on the instrument: it is not binding as a whole (the GGE
    /// norms, A/70/174 para. 10), so none of its rules may say `force: law`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voluntary: bool,
}

/// Every error found in a set of instrument files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Node {
    Const(Tri),
    Fact(u8),
    Rule(u16),
    Not(u32),
    Shown(u32),
    And(u32, u32),
    Or(u32, u32),
}

/// A condition that is one literal, or an `and` / `or` of literals (facts or negated
/// facts): evaluated with bit masks instead of a tree walk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flat {
    pub or: bool,
    /// Facts, and negated facts, by fact number.
    pub pos: u128,
    pub neg: u128,
}

#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub id: Name,
    pub instrument: u16,
    pub kind: Kind,
    /// The kind of the rule at the root of the exception chain.
    pub root_kind: Kind,
    pub force: Force,
    pub cites: Name,
    pub applies: Option<u32>,
    pub body: Option<u32>,
    pub exceptions: Vec<u16>,
    pub parent: Option<u16>,
    pub category: Option<Category>,
    pub threshold: Option<Threshold>,
    pub responsibility: Option<ResponsibilityBasis>,
    pub response: Option<ResponseKind>,
    pub governs: Option<ResponseKind>,
    /// `applies when` and the outcome as flat conditions, when both are and the rule has
    /// no exceptions.
    pub flat: Option<(Flat, Flat)>,
}

/// A compiled, checked set of instruments. Cheap to share; assessing borrows it.
#[derive(Clone, Debug)]
pub struct Instruments {
    pub(crate) version: Name,
    pub(crate) instruments: Vec<InstrumentInfo>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) children: Vec<u32>,
    /// Top-level rules (not exceptions), each after every rule it reads.
    pub(crate) order: Vec<u16>,
    /// For each [`ResponseKind`], the rules that govern it (its duties).
    pub(crate) duties: [Vec<u16>; 4],
    /// How many findings an assessment can have (top-level rules that are not responses
    /// or their duties).
    pub(crate) findings_hint: usize,
    /// The treaties ([`Scope::Treaty`]), as a bit mask over `instruments`: their
    /// definitions describe conduct whoever is bound, so they are evaluated for every case.
    pub(crate) treaties: u64,
}

struct Pending<'a> {
    file: &'a str,
    block: &'a Block,
    instrument: u16,
    kind: Kind,
    id: String,
}

impl Instruments {
    /// Parses and compiles instrument files given as (path, text) pairs. The path is only
    /// used in error messages and in [`InstrumentInfo::file`]. The result's version is a
    /// SHA-256 over every path and text, in path order.
    pub fn load(sources: &[(String, String)]) -> Result<Instruments, LoadErrors> {
        let mut errors = Vec::new();
        let mut sorted: Vec<&(String, String)> = sources.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let version = version_of(&sorted);

        let mut parsed = Vec::new();
        for (file, text) in &sorted {
            match lang::split(file, text) {
                Ok(p) => parsed.push((file.as_str(), p)),
                Err(mut e) => errors.append(&mut e),
            }
        }

        // Instruments.
        let mut instruments: Vec<InstrumentInfo> = Vec::new();
        let mut files: Vec<(&str, &lang::ParsedFile, u16)> = Vec::new();
        for (file, p) in &parsed {
            let Some(block) = &p.instrument else {
                if !p.rules.is_empty() {
                    errors.push(err(file, p.rules[0].pos, "rules need an ```instrument block before them saying what they come from"));
                } else {
                    // A file that declares nothing is most likely a draft saved empty or a
                    // block fenced wrongly; counting it as no law would hide that.
                    errors.push(err(file, Pos { line: 1, column: 1 }, "this file declares no instrument: it needs an ```instrument block (and its ```rule blocks)"));
                }
                continue;
            };
            match instrument_info(file, block) {
                Ok(info) => {
                    if let Some(prev) = instruments.iter().find(|i| i.id == info.id) {
                        errors.push(err(file, block.pos, format!("instrument id `{}` is already used by {}", info.id, prev.file)));
                        continue;
                    }
                    files.push((file, p, instruments.len() as u16));
                    instruments.push(info);
                }
                Err(e) => errors.push(e),
            }
        }

        // Rule headers, so that names can be resolved in any order.
        let mut pending: Vec<Pending> = Vec::new();
        let mut index: HashMap<String, u16> = HashMap::new();
        for (file, p, inst) in &files {
            for block in &p.rules {
                match rule_header(file, block) {
                    Ok((id, kind)) => {
                        if let Some(&prev) = index.get(&id) {
                            let other = &pending[prev as usize];
                            errors.push(err(file, block.get("id").map(|v| v.pos).unwrap_or(block.pos), format!("rule id `{id}` is already used at {}:{}", other.file, other.block.get("id").map_or(other.block.pos, |v| v.pos).line)));
                            continue;
                        }
                        // Rules are numbered in 16 bits, and the last number means "none".
                        if pending.len() >= MAX_RULES {
                            errors.push(err(file, block.pos, format!("more than {MAX_RULES} rules: the engine numbers rules in 16 bits; split the instruments into sets")));
                            break;
                        }
                        index.insert(id.clone(), pending.len() as u16);
                        pending.push(Pending { file, block, instrument: *inst, kind, id });
                    }
                    Err(e) => errors.push(e),
                }
            }
        }

        let mut c = Compiler { nodes: Vec::new(), children: Vec::new(), index: &index, pending: &pending, errors: Vec::new() };
        let mut rules: Vec<Rule> = Vec::new();
        let mut ref_pos: Vec<Vec<(u16, Pos)>> = Vec::new();
        for p in &pending {
            let (rule, refs) = c.rule(p);
            // A voluntary instrument cannot be made law by one of its rules.
            if instruments[p.instrument as usize].voluntary && rule.force == Force::Law && p.kind != Kind::Exception {
                let pos = p.block.get("force").map(|v| v.pos).unwrap_or(p.block.pos);
                c.errors.push(err(p.file, pos, format!("rule `{}` says `force: law`, but its instrument {} is voluntary (`force: voluntary`): its rules are norms, reported as inconsistent with the norm, never as a breach", p.id, instruments[p.instrument as usize].id)));
            }
            rules.push(rule);
            ref_pos.push(refs);
        }
        errors.append(&mut c.errors);

        // Exceptions: attach, find their root, refuse cycles and regional contradictions.
        for (i, p) in pending.iter().enumerate() {
            if p.kind != Kind::Exception {
                continue;
            }
            let Some(v) = p.block.get("exception to") else { continue };
            let Some(&target) = index.get(v.text.as_str()) else {
                errors.push(err(p.file, v.pos, format!("`exception to` names an unknown rule `{}`", v.text)));
                continue;
            };
            rules[i].parent = Some(target);
            rules[target as usize].exceptions.push(i as u16);
            let inst = &instruments[p.instrument as usize];
            if matches!(inst.scope, Scope::Regional { .. }) && pending[target as usize].instrument != p.instrument {
                errors.push(err(p.file, v.pos, format!("a regional overlay may tailor `{}` but not make an exception to it: write an additional rule with `tailors:`", v.text)));
            }
        }
        let mut exception_cycle = false;
        for i in 0..rules.len() {
            if rules[i].kind != Kind::Exception {
                continue;
            }
            let mut seen = vec![i as u16];
            let mut at = rules[i].parent;
            while let Some(a) = at {
                if seen.contains(&a) {
                    if a == i as u16 {
                        let v = pending[i].block.get("exception to").map(|v| v.pos).unwrap_or(pending[i].block.pos);
                        let chain: Vec<&str> = seen.iter().map(|s| &*rules[*s as usize].id).collect();
                        errors.push(err(pending[i].file, v, format!("cycle of exceptions: {} -> {}", chain.join(" -> "), rules[i].id)));
                        exception_cycle = true;
                    }
                    break;
                }
                seen.push(a);
                if rules[a as usize].kind != Kind::Exception {
                    rules[i].root_kind = rules[a as usize].kind;
                    rules[i].force = rules[a as usize].force;
                    break;
                }
                at = rules[a as usize].parent;
            }
        }
        if !exception_cycle {
            for (i, p) in pending.iter().enumerate() {
                if p.kind == Kind::Exception && rules[i].root_kind != Kind::Exception {
                    let rk = rules[i].root_kind;
                    for key in ["breached when", "permitted when", "holds when"] {
                        if let Some(v) = p.block.get(key)
                            && key != rk.outcome_key()
                        {
                            errors.push(err(p.file, v.pos, format!("this is an exception to a {}: its outcome is stated with `{}`", rk.label(), rk.outcome_key())));
                        }
                    }
                }
            }
        }

        // Order: each top-level rule after those it reads (through its exceptions too).
        let mut order = Vec::new();
        if errors.is_empty() {
            let n = rules.len();
            let mut deps: Vec<Vec<(u16, Pos, &str)>> = vec![Vec::new(); n];
            for i in 0..n {
                let mut root = i;
                while let Some(p) = rules[root].parent {
                    root = p as usize;
                }
                let file = pending[i].file;
                deps[root].extend(ref_pos[i].iter().map(|(r, pos)| (*r, *pos, file)));
            }
            let mut state = vec![0u8; n];
            for i in 0..n {
                if rules[i].kind != Kind::Exception
                    && state[i] == 0
                    && let Err(e) = visit(i, &deps, &rules, &mut state, &mut order, &mut Vec::new())
                {
                    errors.push(e);
                    break;
                }
            }
        }

        if instruments.len() > 64 {
            errors.push(err(&instruments[64].file, Pos { line: 1, column: 1 }, "at most 64 instruments can be loaded together"));
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        let mut duties: [Vec<u16>; 4] = Default::default();
        for (i, r) in rules.iter().enumerate() {
            if let (Some(g), false) = (r.governs, r.kind == Kind::Exception) {
                duties[g as usize].push(i as u16);
            }
        }
        for rule in rules.iter_mut() {
            if rule.exceptions.is_empty() {
                let always = Flat { or: false, pos: 0, neg: 0 };
                let never = Flat { or: true, ..always };
                let applies = rule.applies.map_or(Some(always), |n| flat(&c.nodes, &c.children, n));
                let body = rule.body.map_or(Some(never), |n| flat(&c.nodes, &c.children, n));
                if let (Some(a), Some(b)) = (applies, body) {
                    rule.flat = Some((a, b));
                }
            }
        }
        let findings_hint = rules.iter().filter(|r| r.kind != Kind::Exception && r.response.is_none() && r.governs.is_none()).count();
        let treaties = instruments.iter().enumerate().filter(|(_, i)| matches!(i.scope, Scope::Treaty { .. })).fold(0u64, |m, (k, _)| m | 1 << k);
        Ok(Instruments { version: Name::new(&version), instruments, rules, nodes: c.nodes, children: c.children, order, duties, findings_hint, treaties })
    }

    /// SHA-256 (hex) over every instrument file's path and text: the version an assessment
    /// records, so that a stored assessment says which law it was made under.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn instruments(&self) -> &[InstrumentInfo] {
        &self.instruments
    }

    /// Refuses a citation of a rule or an instrument these instruments do not hold (a
    /// ruling's finding, say), naming `field`'s `.rule` or `.instrument`.
    pub fn check_cited(&self, field: &str, rule: Option<&str>, instrument: Option<&str>) -> Result<(), pacta_core::Invalid> {
        if let Some(r) = rule
            && !self.rules.iter().any(|x| &*x.id == r)
        {
            return Err(pacta_core::Invalid::new(format!("{field}.rule"), r, "is not the id of a rule of the codified instruments (norms/)"));
        }
        if let Some(i) = instrument
            && !self.instruments.iter().any(|x| &*x.id == i)
        {
            return Err(pacta_core::Invalid::new(format!("{field}.instrument"), i, "is not the id of a codified instrument (norms/)"));
        }
        Ok(())
    }

    /// Rule ids in file order, with their citation.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rules.iter().map(|r| (&*r.id, &*r.cites))
    }

    /// The rules of one instrument (by its id), in file order, with their citation; none
    /// for an id that is not loaded.
    pub fn rules_of<'a>(&'a self, instrument: &str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let index = self.instruments.iter().position(|i| &*i.id == instrument);
        self.rules.iter().filter(move |r| Some(r.instrument as usize) == index).map(|r| (&*r.id, &*r.cites))
    }

}

/// The flat form of a condition, if it has one.
fn flat(nodes: &[Node], children: &[u32], n: u32) -> Option<Flat> {
    let literal = |n: u32, f: &mut Flat| match nodes[n as usize] {
        Node::Fact(x) => {
            f.pos |= 1u128 << x;
            true
        }
        Node::Not(c) => match nodes[c as usize] {
            Node::Fact(x) => {
                f.neg |= 1u128 << x;
                true
            }
            _ => false,
        },
        _ => false,
    };
    let mut f = Flat { or: false, pos: 0, neg: 0 };
    match nodes[n as usize] {
        Node::Const(Tri::Yes) => Some(f),
        Node::Const(Tri::No) => Some(Flat { or: true, ..f }),
        Node::And(s, l) | Node::Or(s, l) => {
            f.or = matches!(nodes[n as usize], Node::Or(..));
            children[s as usize..(s + l) as usize].iter().all(|c| literal(*c, &mut f)).then_some(f)
        }
        _ => literal(n, &mut f).then_some(f),
    }
}

fn visit(
    i: usize,
    deps: &[Vec<(u16, Pos, &str)>],
    rules: &[Rule],
    state: &mut [u8],
    order: &mut Vec<u16>,
    stack: &mut Vec<usize>,
) -> Result<(), LoadError> {
    state[i] = 1;
    stack.push(i);
    for &(d, pos, file) in &deps[i] {
        let d = d as usize;
        if state[d] == 1 {
            let start = stack.iter().position(|s| *s == d).unwrap_or(0);
            let mut chain: Vec<&str> = stack[start..].iter().map(|s| &*rules[*s].id).collect();
            chain.push(&rules[d].id);
            return Err(err(file, pos, format!("rules read each other in a circle: {}", chain.join(" -> "))));
        }
        if state[d] == 0 {
            visit(d, deps, rules, state, order, stack)?;
        }
    }
    stack.pop();
    state[i] = 2;
    order.push(i as u16);
    Ok(())
}

fn version_of(sorted: &[&(String, String)]) -> String {
    let mut h = Sha256::new();
    for (path, text) in sorted {
        h.update((path.len() as u64).to_be_bytes());
        h.update(path.as_bytes());
        h.update((text.len() as u64).to_be_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn required<'a>(file: &str, block: &'a Block, key: &str, what: &str) -> Result<&'a Value, LoadError> {
    match block.get(key) {
        Some(v) if !v.text.is_empty() => Ok(v),
        Some(v) => Err(err(file, v.pos, format!("`{key}` is empty"))),
        None => Err(err(file, block.pos, format!("{what} needs `{key}:`"))),
    }
}

/// A date as YYYY-MM-DD exactly: chrono reads "2019-2-3" too, and a lawyer's date must be
/// unambiguous and sortable.
fn lawyers_date(text: &str) -> Option<NaiveDate> {
    let shaped = text.len() == 10 && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    shaped.then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()).flatten()
}

fn instrument_info(file: &str, block: &Block) -> Result<InstrumentInfo, LoadError> {
    let id = required(file, block, "id", "an instrument")?;
    let title = required(file, block, "title", "an instrument")?;
    let cites = required(file, block, "cites", "an instrument")?;
    let scope_v = required(file, block, "scope", "an instrument")?;
    let scope = match scope_v.text.as_str() {
        "universal" => Scope::Universal,
        "regional" => {
            let v = required(file, block, "parties", "a regional instrument")?;
            let mut parties = Vec::new();
            for code in v.text.split(',') {
                parties.push(StateCode::parse("parties", code).map_err(|e| err(file, v.pos, e.to_string()))?);
            }
            Scope::Regional { parties }
        }
        "national" => {
            let v = required(file, block, "state", "a national position")?;
            Scope::National { state: StateCode::parse("state", &v.text).map_err(|e| err(file, v.pos, e.to_string()))? }
        }
        "treaty" => {
            let mut non_parties = Vec::new();
            if let Some(v) = block.get("non-parties") {
                for code in v.text.split(',') {
                    let state = StateCode::parse("non-parties", code.trim()).map_err(|e| err(file, v.pos, e.to_string()))?;
                    if non_parties.contains(&state) {
                        return Err(err(file, v.pos, format!("{state} is listed twice in `non-parties`")));
                    }
                    non_parties.push(state);
                }
            }
            let mut joined = Vec::new();
            if let Some(v) = block.get("joined") {
                for item in v.text.split(',') {
                    let (code, date) = item.trim().split_once(' ').ok_or_else(|| err(file, v.pos, format!("`joined` lists a state and the date it is bound from, as `TR 2003-12-23`, not {:?}", item.trim())))?;
                    let state = StateCode::parse("joined", code).map_err(|e| err(file, v.pos, e.to_string()))?;
                    let from = lawyers_date(date.trim()).ok_or_else(|| err(file, v.pos, format!("`joined` dates are written YYYY-MM-DD, not {:?}", date.trim())))?;
                    if non_parties.contains(&state) {
                        return Err(err(file, v.pos, format!("{state} is listed both as joining and as not a party")));
                    }
                    if joined.iter().any(|(s, _)| *s == state) {
                        return Err(err(file, v.pos, format!("{state} is listed twice in `joined`: a state is bound from one date")));
                    }
                    joined.push((state, from));
                }
            }
            Scope::Treaty { non_parties, joined }
        }
        other => return Err(err(file, scope_v.pos, format!("scope `{other}` is not one of universal, regional, national, treaty"))),
    };
    for key in ["non-parties", "joined"] {
        if let (Some(v), false) = (block.get(key), matches!(scope, Scope::Treaty { .. })) {
            return Err(err(file, v.pos, format!("`{key}` belongs to a treaty (`scope: treaty`), not to a {} instrument", scope_v.text)));
        }
    }
    let from = match block.get("from") {
        Some(v) => Some(lawyers_date(&v.text).ok_or_else(|| err(file, v.pos, format!("`from` is a date written YYYY-MM-DD, not {:?}", v.text)))?),
        None => None,
    };
    if let (Scope::Treaty { joined, .. }, Some(from)) = (&scope, from)
        && let Some((state, date)) = joined.iter().find(|(_, d)| *d < from)
        && let Some(v) = block.get("joined")
    {
        return Err(err(file, v.pos, format!("{state} is bound from {date}, before the treaty itself applies ({from})")));
    }
    let voluntary = match block.get("force") {
        None => false,
        Some(v) if v.text == "voluntary" => true,
        Some(v) if v.text == "law" => false,
        Some(v) => return Err(err(file, v.pos, format!("an instrument's force `{}` is not one of law, voluntary", v.text))),
    };
    Ok(InstrumentInfo { id: Name::new(&id.text), title: title.text.clone(), cites: cites.text.clone(), file: file.to_string(), scope, from, voluntary })
}

fn rule_header(file: &str, block: &Block) -> Result<(String, Kind), LoadError> {
    let id = required(file, block, "id", "a rule")?;
    if !id.text.contains('.') || !id.text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Err(err(file, id.pos, format!("rule id `{}` must be dotted letters, digits, `_` and `-`, such as `tallinn.r4.sovereignty`", id.text)));
    }
    let kind_v = required(file, block, "kind", "a rule")?;
    let kind = match kind_v.text.as_str() {
        "obligation" => Kind::Obligation,
        "prohibition" => Kind::Prohibition,
        "permission" => Kind::Permission,
        "exception" => Kind::Exception,
        "definition" => Kind::Definition,
        other => return Err(err(file, kind_v.pos, format!("kind `{other}` is not one of obligation, prohibition, permission, exception, definition"))),
    };
    Ok((id.text.clone(), kind))
}

struct Compiler<'a> {
    nodes: Vec<Node>,
    children: Vec<u32>,
    index: &'a HashMap<String, u16>,
    pending: &'a [Pending<'a>],
    errors: Vec<LoadError>,
}

impl Compiler<'_> {
    fn rule(&mut self, p: &Pending) -> (Rule, Vec<(u16, Pos)>) {
        let b = p.block;
        let file = p.file;
        let mut refs = Vec::new();
        let force = match b.get("force").map(|v| (v.text.as_str(), v.pos)) {
            Some(("law", _)) => Force::Law,
            Some(("voluntary", _)) => Force::Voluntary,
            Some((other, pos)) => {
                self.errors.push(err(file, pos, format!("force `{other}` is not one of law, voluntary")));
                Force::Law
            }
            None => {
                if p.kind != Kind::Exception {
                    self.errors.push(err(file, b.pos, "a rule needs `force:` (law or voluntary)"));
                }
                Force::Law
            }
        };
        if p.kind == Kind::Exception {
            if b.get("force").is_some() {
                self.errors.push(err(file, b.get("force").map(|v| v.pos).unwrap_or(b.pos), "an exception takes the force of the rule it qualifies; remove `force:`"));
            }
            if b.get("exception to").is_none() {
                self.errors.push(err(file, b.pos, "an exception needs `exception to:` naming the rule it qualifies"));
            }
            if b.get("applies when").is_none() {
                self.errors.push(err(file, b.pos, "an exception needs `applies when:`"));
            }
        } else if let Some(v) = b.get("exception to") {
            self.errors.push(err(file, v.pos, "only a rule of kind exception may say `exception to`"));
        }
        let cites = match required(file, b, "cites", "a rule") {
            Ok(v) => v.text.clone(),
            Err(e) => {
                self.errors.push(e);
                String::new()
            }
        };
        let applies = b.get("applies when").map(|v| self.condition(file, v, &mut refs));
        let body = if p.kind == Kind::Exception {
            ["breached when", "permitted when", "holds when"].iter().filter_map(|k| b.get(k)).next().map(|v| self.condition(file, v, &mut refs))
        } else {
            for key in ["breached when", "permitted when", "holds when"] {
                if key != p.kind.outcome_key()
                    && let Some(v) = b.get(key)
                {
                    self.errors.push(err(file, v.pos, format!("a {} states its outcome with `{}`, not `{key}`", p.kind.label(), p.kind.outcome_key())));
                }
            }
            match b.get(p.kind.outcome_key()) {
                Some(v) => Some(self.condition(file, v, &mut refs)),
                None => {
                    self.errors.push(err(file, b.pos, format!("a {} needs `{}:`", p.kind.label(), p.kind.outcome_key())));
                    None
                }
            }
        };
        let category = self.tag(file, b, "category", Category::parse);
        let threshold = self.tag(file, b, "threshold", Threshold::parse);
        let responsibility = self.tag(file, b, "responsibility", ResponsibilityBasis::parse);
        let response = self.tag(file, b, "response", ResponseKind::parse);
        let governs = self.tag(file, b, "governs", ResponseKind::parse);
        if let Some(v) = b.get("tailors")
            && !self.index.contains_key(v.text.as_str())
        {
            self.errors.push(err(file, v.pos, format!("`tailors` names an unknown rule `{}`", v.text)));
        }
        if p.kind == Kind::Exception {
            for key in ["category", "threshold", "responsibility", "response", "governs"] {
                if let Some(v) = b.get(key) {
                    self.errors.push(err(file, v.pos, format!("an exception takes the `{key}` of the rule it qualifies")));
                }
            }
        }
        if response.is_some() && p.kind != Kind::Permission {
            self.errors.push(err(file, b.pos, "only a permission can state a `response`"));
        }
        // Each tag means something for one kind of rule only; on another kind the engine
        // would read it anyway (a `threshold` on a permission moved every incident's
        // threshold), so it is refused where it is written.
        let only = |key: &str, kinds: &[Kind], what: &str| -> Option<LoadError> {
            let v = b.get(key)?;
            (p.kind != Kind::Exception && !kinds.contains(&p.kind)).then(|| err(file, v.pos, format!("`{key}` belongs on {what}, not on a {}", p.kind.label())))
        };
        for e in [
            only("threshold", &[Kind::Definition], "a definition that marks a threshold"),
            only("category", &[Kind::Definition, Kind::Obligation, Kind::Prohibition], "a conduct element or a duty (a breach category)"),
            only("governs", &[Kind::Obligation, Kind::Prohibition], "an obligation or prohibition a response must meet"),
            only("responsibility", &[Kind::Definition, Kind::Obligation, Kind::Prohibition], "a rule whose outcome engages a state"),
        ]
        .into_iter()
        .flatten()
        {
            self.errors.push(e);
        }
        let rule = Rule {
            id: Name::new(&p.id),
            instrument: p.instrument,
            kind: p.kind,
            root_kind: p.kind,
            force,
            cites: Name::new(&cites),
            applies,
            body,
            exceptions: Vec::new(),
            parent: None,
            category,
            threshold,
            responsibility,
            response,
            governs,
            flat: None,
        };
        (rule, refs)
    }

    fn tag<T>(&mut self, file: &str, b: &Block, key: &str, parse: fn(&str, &str) -> Result<T, pacta_core::Invalid>) -> Option<T> {
        let v = b.get(key)?;
        match parse(key, &v.text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.errors.push(err(file, v.pos, e.rule));
                None
            }
        }
    }

    fn condition(&mut self, file: &str, v: &Value, refs: &mut Vec<(u16, Pos)>) -> u32 {
        match lang::parse_condition(file, v) {
            Ok(e) => self.compile(file, &e, refs),
            Err(e) => {
                self.errors.push(e);
                self.push(Node::Const(Tri::Unknown))
            }
        }
    }

    fn push(&mut self, n: Node) -> u32 {
        self.nodes.push(n);
        (self.nodes.len() - 1) as u32
    }

    fn compile(&mut self, file: &str, e: &Expr, refs: &mut Vec<(u16, Pos)>) -> u32 {
        match e {
            Expr::Const(b) => self.push(Node::Const(Tri::from_bool(*b))),
            Expr::Name(name, pos) => {
                if name.contains('.') {
                    match self.index.get(name) {
                        Some(&r) if self.pending[r as usize].kind == Kind::Exception => {
                            self.errors.push(err(file, *pos, format!("`{name}` is an exception: refer to the rule it qualifies instead")));
                            self.push(Node::Const(Tri::Unknown))
                        }
                        Some(&r) => {
                            refs.push((r, *pos));
                            self.push(Node::Rule(r))
                        }
                        None => {
                            self.errors.push(err(file, *pos, format!("unknown rule `{name}`")));
                            self.push(Node::Const(Tri::Unknown))
                        }
                    }
                } else {
                    match Fact::from_name(name) {
                        Some(f) => self.push(Node::Fact(f as u8)),
                        None => {
                            let hint = Fact::ALL.iter().map(|f| f.name()).filter(|n| n.contains(name.as_str()) || name.contains(n)).take(3).collect::<Vec<_>>();
                            let hint = if hint.is_empty() { String::new() } else { format!(" (did you mean {}?)", hint.join(", ")) };
                            self.errors.push(err(file, *pos, format!("unknown fact `{name}`{hint}; facts are listed in norms/README.md")));
                            self.push(Node::Const(Tri::Unknown))
                        }
                    }
                }
            }
            Expr::Not(c) => {
                let c = self.compile(file, c, refs);
                self.push(Node::Not(c))
            }
            Expr::Shown(c) => {
                let c = self.compile(file, c, refs);
                self.push(Node::Shown(c))
            }
            Expr::And(items) | Expr::Or(items) => {
                let ids: Vec<u32> = items.iter().map(|i| self.compile(file, i, refs)).collect();
                let start = self.children.len() as u32;
                self.children.extend(ids);
                let len = items.len() as u32;
                self.push(if matches!(e, Expr::And(_)) { Node::And(start, len) } else { Node::Or(start, len) })
            }
        }
    }
}
