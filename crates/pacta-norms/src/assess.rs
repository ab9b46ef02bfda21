//! The engine: applies the instruments in force to a case's facts and returns an
//! [`Assessment`] — per-rule findings, state responsibility, the threshold reached and the
//! lawful-response envelope — each conclusion carrying the rule ids that support it and,
//! when it cannot be reached, the facts that are missing.

use crate::facts::{Fact, FactSet, Missing, Tri};
use crate::instruments::{Flat, Instruments, Node, Scope};
use crate::lang::{Force, Kind};
use crate::model::{Category, ResponseKind, ResponsibilityBasis, Status, Threshold};
use chrono::NaiveDate;
use pacta_core::StateCode;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use crate::name::Name;

/// What is assessed: the facts, whose view of the law is taken (its national position and
/// regional instruments apply), the date that decides which instruments were in force,
/// and the states the credible claims name (a treaty binds only its parties).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Case {
    pub facts: FactSet,
    pub perspective: Option<StateCode>,
    pub date: Option<NaiveDate>,
    /// The states credible claims hold responsible. Empty when none is named: then no
    /// conduct is attributed to a state, and a treaty is applied to learn what its conduct
    /// element says.
    pub responsible: Vec<StateCode>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssessOptions {
    /// Record, for every finding, the citation, the facts read and the rules relied on.
    pub trace: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// [`Instruments::version`] of the instruments applied.
    pub instruments_version: Name,
    pub perspective: Option<StateCode>,
    pub date: Option<NaiveDate>,
    /// Ids of the instruments in force for this case.
    pub in_force: Vec<Name>,
    pub findings: Vec<Finding>,
    pub responsibility: ResponsibilityConclusion,
    pub threshold: ThresholdConclusion,
    pub responses: Vec<ResponseConclusion>,
    /// Whether the conduct element (the objective element of ILC art. 2(b)) of a rule in
    /// each category is met, whoever is responsible. This is what research coders call a
    /// "breach" of that body of law.
    pub conduct: [(Category, Tri); 6],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: Name,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Missing::is_empty")]
    pub missing: Missing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Box<Trace>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub instrument: Name,
    pub kind: Kind,
    pub force: Force,
    pub cites: Name,
    /// The exception that decided the outcome, with its citation, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<(Name, Name)>,
    pub facts: Vec<(Fact, Tri)>,
    pub rules: Vec<(Name, Tri)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponsibilityConclusion {
    /// `None` when it cannot be told (see `missing`).
    pub basis: Option<ResponsibilityBasis>,
    pub by: Vec<Name>,
    #[serde(default, skip_serializing_if = "Missing::is_empty")]
    pub missing: Missing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdConclusion {
    /// The highest threshold the conduct certainly reaches.
    pub reached: Threshold,
    /// The highest threshold above it that cannot be excluded, for want of `missing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cannot_tell_above: Option<Threshold>,
    pub by: Vec<Name>,
    #[serde(default, skip_serializing_if = "Missing::is_empty")]
    pub missing: Missing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseConclusion {
    pub response: ResponseKind,
    /// Whether the law makes this response available to the perspective state.
    pub available: Tri,
    pub by: Name,
    #[serde(default, skip_serializing_if = "Missing::is_empty")]
    pub missing: Missing,
    /// Conditions a measure of this kind must meet (breached = the measure would not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duties: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Box<Trace>>,
}

impl Assessment {
    /// The conclusions without their traces: what assessing the same case with traces off
    /// gives. The trace explains a conclusion; it is reproduced, identically, by assessing
    /// the same facts under the same instruments again, so a stored copy need not keep it.
    pub fn without_traces(mut self) -> Assessment {
        for f in &mut self.findings {
            f.trace = None;
        }
        for r in &mut self.responses {
            r.trace = None;
            for d in &mut r.duties {
                d.trace = None;
            }
        }
        self
    }

    pub fn finding(&self, rule: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| &*f.rule == rule).or_else(|| self.responses.iter().flat_map(|r| &r.duties).find(|f| &*f.rule == rule))
    }
    pub fn response(&self, kind: ResponseKind) -> Option<&ResponseConclusion> {
        self.responses.iter().find(|r| r.response == kind)
    }
    pub fn conduct(&self, c: Category) -> Tri {
        self.conduct.iter().find(|(k, _)| *k == c).map(|(_, t)| *t).unwrap_or(Tri::No)
    }
}

/// The outcome of one rule in one case.
#[derive(Clone, Copy)]
struct Eval {
    value: Tri,
    /// Whether the rule applies (its `applies when`).
    applies: Tri,
    /// The exception that decided the outcome, or `u16::MAX`.
    decider: u16,
    /// When the value is unknown: the unknown facts it turns on.
    missing: Missing,
}

const NONE: u16 = u16::MAX;

struct Ctx<'a> {
    facts: &'a FactSet,
    evals: Vec<Eval>,
    /// The value of every node evaluated so far, so that finding what an unknown outcome
    /// is missing does not evaluate anything twice.
    nodes: Vec<Cell<Tri>>,
    active: u64,
    /// The facts known yes, known no, and unknown, as masks.
    yes: u128,
    no: u128,
    unknown: u128,
}

impl Ctx<'_> {
    #[inline]
    fn on(&self, inst: &Instruments, r: u16) -> bool {
        self.active >> inst.rules[r as usize].instrument & 1 == 1
    }

    /// Whether rule `r` is evaluated: a rule in force, or a treaty's definition. A treaty
    /// binds its parties only, but what its definitions say of the conduct (that it
    /// interferes with privacy, say) holds whoever acted, and rules of other instruments
    /// read them: GGE norm 13(e) and Tallinn rule 32 do not depend on who ratified what.
    #[inline]
    fn evaluated(&self, inst: &Instruments, r: u16) -> bool {
        let rule = &inst.rules[r as usize];
        self.on(inst, r) || (rule.kind == Kind::Definition && inst.treaties >> rule.instrument & 1 == 1)
    }
}

impl Instruments {
    /// Which instruments are in force for a case, as a bit mask over
    /// [`Instruments::instruments`]: universal ones, regional ones the perspective state
    /// takes part in, the perspective state's own position, and treaties that bind a state
    /// the claims name; each only from its date, when the case's date is known.
    pub fn in_force(&self, case: &Case) -> u64 {
        let mut mask = 0u64;
        for (k, i) in self.instruments.iter().enumerate() {
            let dated = match (i.from, case.date) {
                (Some(from), Some(d)) => from <= d,
                _ => true,
            };
            let scoped = match &i.scope {
                Scope::Universal => true,
                Scope::Regional { parties } => case.perspective.is_some_and(|p| parties.contains(&p)),
                Scope::National { state } => case.perspective == Some(*state),
                // A treaty obliges its parties only (Vienna Convention on the Law of
                // Treaties, arts. 26 and 34): conduct of a non-party breaches none of it.
                Scope::Treaty { .. } => case.responsible.is_empty() || case.responsible.iter().any(|s| i.scope.binds(*s, case.date)),
            };
            if dated && scoped {
                mask |= 1 << k;
            }
        }
        mask
    }

    /// Assesses a case. Pure; one pass over the rules in dependency order computes every
    /// outcome together with the facts it is missing, so that with `trace` off an
    /// assessment costs a handful of allocations.
    pub fn assess(&self, case: &Case, opts: AssessOptions) -> Assessment {
        // The per-case working memory is reused from one assessment to the next on a
        // thread; it holds nothing between calls that could change a result.
        thread_local! {
            static SCRATCH: std::cell::RefCell<(Vec<Eval>, Vec<Cell<Tri>>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
        }
        SCRATCH.with(|scratch| {
            let (evals, nodes) = &mut *scratch.borrow_mut();
            let blank = Eval { value: Tri::No, applies: Tri::No, decider: NONE, missing: Missing::default() };
            evals.clear();
            evals.resize(self.rules.len(), blank);
            nodes.clear();
            nodes.resize(self.nodes.len(), Cell::new(Tri::Unknown));
            let (yes, no, unknown) = case.facts.masks();
            let cx = Ctx { facts: &case.facts, evals: std::mem::take(evals), nodes: std::mem::take(nodes), active: self.in_force(case), yes, no, unknown };
            let (a, cx) = self.assess_in(case, opts, cx);
            *evals = cx.evals;
            *nodes = cx.nodes;
            a
        })
    }

    fn assess_in<'a>(&self, case: &'a Case, opts: AssessOptions, mut cx: Ctx<'a>) -> (Assessment, Ctx<'a>) {
        let active = cx.active;
        for &r in &self.order {
            if cx.evaluated(self, r) {
                cx.evals[r as usize] = self.rule_eval(r, &cx);
            }
        }

        let mut findings = Vec::with_capacity(self.findings_hint);
        let mut responses: Vec<ResponseConclusion> = Vec::with_capacity(4);
        let mut conduct = [Category::Sovereignty, Category::DueDiligence, Category::HumanRights, Category::CyberEspionage, Category::InternationalPeace, Category::Intervention]
            .map(|c| (c, Tri::No));
        let mut resp_rank: [(Tri, u16, Missing); 5] = [(Tri::No, NONE, Missing::default()); 5];
        let mut thresholds: [(Tri, u16, Missing); 5] = [(Tri::No, NONE, Missing::default()); 5];

        for (i, rule) in self.rules.iter().enumerate() {
            if rule.kind == Kind::Exception || !cx.evaluated(self, i as u16) || rule.governs.is_some() {
                continue;
            }
            let e = cx.evals[i];
            // The conduct element counts whoever is responsible, and whoever is bound.
            if let Some(c) = rule.category {
                let slot = &mut conduct[c as usize].1;
                *slot = slot.or(e.value);
            }
            if !cx.on(self, i as u16) {
                continue;
            }
            if let Some(t) = rule.threshold {
                let slot = &mut thresholds[t as usize];
                slot.0 = slot.0.or(e.value);
                if e.value == Tri::Yes {
                    slot.1 = i as u16;
                } else if e.value == Tri::Unknown {
                    slot.2.union(e.missing);
                }
            }
            if let Some(b) = rule.responsibility {
                let slot = &mut resp_rank[b as usize];
                if e.value == Tri::Yes && slot.0 != Tri::Yes {
                    *slot = (Tri::Yes, i as u16, Missing::default());
                } else if e.value == Tri::Unknown && slot.0 == Tri::No {
                    *slot = (Tri::Unknown, i as u16, e.missing);
                }
            }
            if let Some(kind) = rule.response {
                let mut duties = Vec::with_capacity(self.duties[kind as usize].len());
                for &d in &self.duties[kind as usize] {
                    if cx.on(self, d) {
                        duties.push(self.finding(d, &cx, opts));
                    }
                }
                responses.push(ResponseConclusion {
                    response: kind,
                    available: e.value,
                    by: rule.id,
                    missing: if e.value == Tri::Unknown { e.missing } else { Missing::default() },
                    duties,
                    trace: opts.trace.then(|| Box::new(self.trace(i as u16, &cx))),
                });
                continue;
            }
            findings.push(self.finding(i as u16, &cx, opts));
        }
        responses.sort_by_key(|r| r.response);

        // Responsibility: the strongest basis that holds; cannot tell if none holds and
        // one is open.
        let mut responsibility = ResponsibilityConclusion { basis: Some(ResponsibilityBasis::None), by: Vec::new(), missing: Missing::default() };
        let mut open = false;
        for b in ResponsibilityBasis::ALL {
            let (t, r, m) = resp_rank[*b as usize];
            match t {
                Tri::Yes => {
                    responsibility = ResponsibilityConclusion { basis: Some(*b), by: vec![self.rules[r as usize].id], missing: Missing::default() };
                    open = false;
                    break;
                }
                Tri::Unknown => {
                    open = true;
                    responsibility.missing.union(m);
                    responsibility.by.push(self.rules[r as usize].id);
                }
                Tri::No => {}
            }
        }
        if open {
            responsibility.basis = None;
        } else if responsibility.basis == Some(ResponsibilityBasis::None) {
            responsibility.missing = Missing::default();
        }

        // Threshold: the highest level that holds, and the highest above it still open.
        let mut threshold = ThresholdConclusion { reached: Threshold::BelowThreshold, cannot_tell_above: None, by: Vec::new(), missing: Missing::default() };
        for t in Threshold::ALL.iter().rev() {
            let (v, r, _) = thresholds[*t as usize];
            if v == Tri::Yes {
                threshold.reached = *t;
                threshold.by = self.rules.iter().enumerate().filter(|(j, x)| x.threshold == Some(*t) && cx.on(self, *j as u16) && cx.evals[*j].value == Tri::Yes).map(|(_, x)| x.id).collect();
                debug_assert!(r != NONE);
                break;
            }
        }
        for t in Threshold::ALL.iter().rev() {
            if *t <= threshold.reached {
                break;
            }
            if thresholds[*t as usize].0 == Tri::Unknown {
                threshold.cannot_tell_above.get_or_insert(*t);
                threshold.missing.union(thresholds[*t as usize].2);
            }
        }

        let mut in_force = Vec::with_capacity(active.count_ones() as usize);
        in_force.extend(self.instruments.iter().enumerate().filter(|(k, _)| active >> k & 1 == 1).map(|(_, i)| i.id));
        let a = Assessment {
            instruments_version: self.version,
            perspective: case.perspective,
            date: case.date,
            in_force,
            findings,
            responsibility,
            threshold,
            responses,
            conduct,
        };
        (a, cx)
    }

    fn finding(&self, i: u16, cx: &Ctx, opts: AssessOptions) -> Finding {
        let rule = &self.rules[i as usize];
        let e = cx.evals[i as usize];
        let status = match (rule.kind, e.value) {
            (_, Tri::Unknown) => Status::CannotTell,
            (Kind::Obligation | Kind::Prohibition, Tri::Yes) => match rule.force {
                Force::Law => Status::Breached,
                Force::Voluntary => Status::InconsistentWithNorm,
            },
            (_, Tri::No) if e.applies == Tri::No && e.decider == NONE => Status::NotApplicable,
            (Kind::Obligation | Kind::Prohibition, Tri::No) => Status::NotBreached,
            (Kind::Permission, Tri::Yes) => Status::Permitted,
            (Kind::Permission, Tri::No) => Status::NotPermitted,
            (_, Tri::Yes) => Status::Holds,
            (_, Tri::No) => Status::DoesNotHold,
        };
        Finding {
            rule: rule.id,
            status,
            missing: if e.value == Tri::Unknown { e.missing } else { Missing::default() },
            trace: opts.trace.then(|| Box::new(self.trace(i, cx))),
        }
    }

    fn trace(&self, i: u16, cx: &Ctx) -> Trace {
        let rule = &self.rules[i as usize];
        let e = cx.evals[i as usize];
        let decided_by = (e.decider != NONE).then(|| {
            let d = &self.rules[e.decider as usize];
            (d.id, d.cites)
        });
        // What the rule and its exceptions in force read.
        let mut facts = Missing::default();
        let mut refs: Vec<u16> = Vec::new();
        self.reads_rule(i, cx, &mut facts, &mut refs);
        refs.sort_unstable();
        refs.dedup();
        Trace {
            instrument: self.instruments[rule.instrument as usize].id,
            kind: rule.kind,
            force: rule.force,
            cites: rule.cites,
            decided_by,
            facts: facts.iter().map(|f| (f, cx.facts.get(f))).collect(),
            rules: refs.iter().map(|r| (self.rules[*r as usize].id, cx.evals[*r as usize].value)).collect(),
        }
    }

    fn reads_rule(&self, i: u16, cx: &Ctx, facts: &mut Missing, refs: &mut Vec<u16>) {
        let x = &self.rules[i as usize];
        for n in [x.applies, x.body].into_iter().flatten() {
            self.reads(n, facts, refs);
        }
        for &e in &x.exceptions {
            if cx.on(self, e) {
                self.reads_rule(e, cx, facts, refs);
            }
        }
    }

    fn reads(&self, n: u32, facts: &mut Missing, refs: &mut Vec<u16>) {
        match self.nodes[n as usize] {
            Node::Const(_) => {}
            Node::Fact(f) => facts.insert(f),
            Node::Rule(r) => refs.push(r),
            Node::Not(c) | Node::Shown(c) => self.reads(c, facts, refs),
            Node::And(s, l) | Node::Or(s, l) => {
                for &c in &self.children[s as usize..(s + l) as usize] {
                    self.reads(c, facts, refs);
                }
            }
        }
    }

    /// Evaluates a node (three-valued, short-circuiting) and remembers its value.
    #[inline]
    fn eval(&self, n: u32, cx: &Ctx) -> Tri {
        match self.nodes[n as usize] {
            // Leaves are read again from the facts and rule outcomes: no need to remember.
            Node::Const(t) => t,
            Node::Fact(f) => cx.facts.at(f),
            Node::Rule(r) => cx.evals[r as usize].value,
            _ => {
                let v = self.eval_node(n, cx);
                cx.nodes[n as usize].set(v);
                v
            }
        }
    }

    /// The value [`Self::eval`] computed for a node in this assessment. Valid for every
    /// node under an unknown one: an unknown `and`/`or` has evaluated all its children.
    #[inline]
    fn seen(&self, n: u32, cx: &Ctx) -> Tri {
        match self.nodes[n as usize] {
            Node::Const(t) => t,
            Node::Fact(f) => cx.facts.at(f),
            Node::Rule(r) => cx.evals[r as usize].value,
            _ => cx.nodes[n as usize].get(),
        }
    }

    fn eval_node(&self, n: u32, cx: &Ctx) -> Tri {
        match self.nodes[n as usize] {
            Node::Const(t) => t,
            Node::Fact(f) => cx.facts.at(f),
            Node::Rule(r) => cx.evals[r as usize].value,
            Node::Not(c) => !self.eval(c, cx),
            Node::Shown(c) => Tri::from_bool(self.eval(c, cx) == Tri::Yes),
            Node::And(s, l) => {
                let mut acc = Tri::Yes;
                for &c in &self.children[s as usize..(s + l) as usize] {
                    match self.eval(c, cx) {
                        Tri::No => return Tri::No,
                        Tri::Unknown => acc = Tri::Unknown,
                        Tri::Yes => {}
                    }
                }
                acc
            }
            Node::Or(s, l) => {
                let mut acc = Tri::No;
                for &c in &self.children[s as usize..(s + l) as usize] {
                    match self.eval(c, cx) {
                        Tri::Yes => return Tri::Yes,
                        Tri::Unknown => acc = Tri::Unknown,
                        Tri::No => {}
                    }
                }
                acc
            }
        }
    }

    /// The unknown facts an unknown node turns on: only its unknown parts are visited
    /// (a known part does not keep the outcome open).
    fn node_missing(&self, n: u32, cx: &Ctx, out: &mut Missing) {
        match self.nodes[n as usize] {
            Node::Const(_) | Node::Shown(_) => {}
            Node::Fact(f) => {
                if cx.facts.at(f) == Tri::Unknown {
                    out.insert(f);
                }
            }
            Node::Rule(r) => {
                let e = &cx.evals[r as usize];
                if e.value == Tri::Unknown {
                    out.union(e.missing);
                }
            }
            Node::Not(c) => self.node_missing(c, cx, out),
            Node::And(s, l) | Node::Or(s, l) => {
                for &c in &self.children[s as usize..(s + l) as usize] {
                    if self.seen(c, cx) == Tri::Unknown {
                        self.node_missing(c, cx, out);
                    }
                }
            }
        }
    }

    /// A flat condition's value and, when unknown, its unknown literals: an `and` is no
    /// as soon as one literal is known false, an `or` yes as soon as one is known true.
    #[inline]
    fn flat_eval(f: Flat, cx: &Ctx) -> (Tri, Missing) {
        let open = (f.pos | f.neg) & cx.unknown;
        let value = if f.or {
            if (f.pos & cx.yes) | (f.neg & cx.no) != 0 {
                Tri::Yes
            } else if open == 0 {
                Tri::No
            } else {
                Tri::Unknown
            }
        } else if (f.pos & cx.no) | (f.neg & cx.yes) != 0 {
            Tri::No
        } else if open == 0 {
            Tri::Yes
        } else {
            Tri::Unknown
        };
        (value, if value == Tri::Unknown { Missing(open) } else { Missing::default() })
    }

    fn rule_eval(&self, i: u16, cx: &Ctx) -> Eval {
        let rule = &self.rules[i as usize];
        if let Some((fa, fb)) = rule.flat {
            let (applies, am) = Self::flat_eval(fa, cx);
            let (body, bm) = if applies == Tri::No { (Tri::No, Missing::default()) } else { Self::flat_eval(fb, cx) };
            let value = applies.and(body);
            let mut missing = Missing::default();
            if value == Tri::Unknown {
                missing.union(am);
                missing.union(bm);
            }
            return Eval { value, applies, decider: NONE, missing };
        }
        self.rule_eval_tree(i, cx)
    }

    /// The general evaluation, by walking the condition trees.
    fn rule_eval_tree(&self, i: u16, cx: &Ctx) -> Eval {
        let rule = &self.rules[i as usize];
        let applies = rule.applies.map_or(Tri::Yes, |n| self.eval(n, cx));
        let body = if applies == Tri::No { Tri::No } else { rule.body.map_or(Tri::No, |n| self.eval(n, cx)) };
        let base = applies.and(body);
        let (value, decider) = self.resolve(i, base, cx);
        let mut missing = Missing::default();
        if value == Tri::Unknown {
            self.rule_missing(i, applies, body, cx, &mut missing);
        }
        Eval { value, applies, decider, missing }
    }

    /// Catala's default logic: an exception that applies replaces the rule's outcome with
    /// its own; the first applicable one in file order wins. If an exception may or may not
    /// apply, the outcome is known only when both possibilities agree.
    #[inline]
    fn resolve(&self, i: u16, base: Tri, cx: &Ctx) -> (Tri, u16) {
        if self.rules[i as usize].exceptions.is_empty() {
            return (base, NONE);
        }
        self.resolve_exceptions(i, base, cx)
    }

    fn resolve_exceptions(&self, i: u16, base: Tri, cx: &Ctx) -> (Tri, u16) {
        // Exceptions are tried in file order and the first that applies decides. One that
        // may or may not apply splits the case in two: where it applies, its outcome;
        // where it does not, the next exceptions (or the rule itself) decide. `open` is the
        // outcome every split-off world agrees on so far (unknown once two disagree), so
        // a later exception that surely applies cannot override an earlier maybe.
        let mut open: Option<Tri> = None;
        for &e in &self.rules[i as usize].exceptions {
            if !cx.on(self, e) {
                continue;
            }
            let ex = &self.rules[e as usize];
            let a = ex.applies.map_or(Tri::Yes, |n| self.eval(n, cx));
            if a == Tri::No {
                continue;
            }
            let own = ex.body.map_or(Tri::No, |n| self.eval(n, cx));
            let (v, d) = self.resolve(e, own, cx);
            let outcome = match open {
                Some(o) if o != v => Tri::Unknown,
                _ => v,
            };
            if a == Tri::Yes {
                // Every world still open ends here.
                let decider = if outcome == Tri::Unknown { NONE } else if d == NONE { e } else { d };
                return (outcome, decider);
            }
            open = Some(outcome);
        }
        match open {
            Some(o) if o != base => (Tri::Unknown, NONE),
            _ => (base, NONE),
        }
    }

    /// The unknown facts that keep an unknown rule (or exception) from an outcome. Reads
    /// the values [`Self::resolve`] left behind.
    fn rule_missing(&self, i: u16, applies: Tri, body: Tri, cx: &Ctx, out: &mut Missing) {
        let rule = &self.rules[i as usize];
        let value_of = |n: Option<u32>, default: Tri| n.map_or(default, |n| self.seen(n, cx));
        // The exceptions that may apply, each with what keeps it from an outcome.
        let maybe = |exceptions: &[u16], out: &mut Missing| {
            for &e in exceptions {
                let ex = &self.rules[e as usize];
                if !cx.on(self, e) || value_of(ex.applies, Tri::Yes) != Tri::Unknown {
                    continue;
                }
                if let Some(n) = ex.applies {
                    self.node_missing(n, cx, out);
                }
                let own = value_of(ex.body, Tri::No);
                if self.resolve(e, own, cx).0 == Tri::Unknown {
                    self.rule_missing(e, Tri::Yes, own, cx, out);
                }
            }
        };
        let first_sure = rule.exceptions.iter().position(|&e| cx.on(self, e) && value_of(self.rules[e as usize].applies, Tri::Yes) == Tri::Yes);
        if let Some(k) = first_sure {
            // This exception decides every world the earlier maybes leave open: what it
            // turns on matters, and so do those maybes, but not the rule's own condition.
            let e = rule.exceptions[k];
            self.rule_missing(e, Tri::Yes, value_of(self.rules[e as usize].body, Tri::No), cx, out);
            return maybe(&rule.exceptions[..k], out);
        }
        if applies == Tri::Unknown
            && let Some(n) = rule.applies
        {
            self.node_missing(n, cx, out);
        }
        if applies != Tri::No
            && body == Tri::Unknown
            && let Some(n) = rule.body
        {
            self.node_missing(n, cx, out);
        }
        maybe(&rule.exceptions, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fact set with each fact yes, no or unknown at random (xorshift from `x`).
    fn random_facts(x: &mut u64) -> FactSet {
        let mut facts = FactSet::unknown();
        for f in Fact::ALL {
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            facts.set(*f, [Tri::Yes, Tri::No, Tri::Unknown][(*x % 3) as usize]);
        }
        facts
    }

    /// A stored assessment keeps the conclusions only: stripping the traces must give
    /// exactly what the engine gives with traces off, on every kind of fact set and view.
    #[test]
    fn an_assessment_without_its_traces_is_the_traces_off_assessment() {
        let law = crate::builtin();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..500 {
            let facts = random_facts(&mut x);
            let perspective = ["FR", "GB", "DE", "NL", "UA"][round % 5].parse().ok();
            let case = Case { facts, perspective, date: None, responsible: vec![] };
            let traced = law.assess(&case, AssessOptions { trace: true });
            assert!(traced.findings.iter().any(|f| f.trace.is_some()));
            assert_eq!(traced.without_traces(), law.assess(&case, AssessOptions { trace: false }));
        }
    }

    /// The bit-mask evaluation of flat rules must agree with the tree walk, value and
    /// missing facts, on every kind of fact set.
    #[test]
    fn flat_rules_agree_with_the_tree_walk() {
        let law = crate::builtin();
        let flat: Vec<u16> = (0..law.rules.len() as u16).filter(|i| law.rules[*i as usize].flat.is_some()).collect();
        assert!(flat.len() >= 15, "{} flat rules", flat.len());
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..3000 {
            let facts = random_facts(&mut x);
            let (yes, no, unknown) = facts.masks();
            let blank = Eval { value: Tri::No, applies: Tri::No, decider: NONE, missing: Missing::default() };
            let mut cx = Ctx { facts: &facts, evals: vec![blank; law.rules.len()], nodes: vec![Cell::new(Tri::Unknown); law.nodes.len()], active: u64::MAX, yes, no, unknown };
            for &r in &law.order {
                let (a, b) = (law.rule_eval(r, &cx), law.rule_eval_tree(r, &cx));
                if flat.contains(&r) {
                    assert_eq!((a.value, a.applies, a.missing), (b.value, b.applies, b.missing), "{}", law.rules[r as usize].id);
                }
                cx.evals[r as usize] = b;
            }
        }
    }
}
