//! Reading an assessment: a plain-text rendering with its trace (for `pacta assess`), and
//! the difference between two assessments of one incident (for what-if runs under amended
//! instruments).

use crate::assess::{Assessment, Finding, Trace};
use crate::facts::{Missing, Tri};
use crate::model::Status;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

fn names(facts: &Missing) -> String {
    facts.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

fn trace_lines(out: &mut String, t: &Trace, indent: &str) {
    let _ = writeln!(out, "{indent}{} {} of {} — {}", t.force_label(), t.kind.label(), t.instrument, t.cites);
    if let Some((id, cites)) = &t.decided_by {
        let _ = writeln!(out, "{indent}decided by exception {id} — {cites}");
    }
    if !t.facts.is_empty() {
        let facts: Vec<String> = t.facts.iter().map(|(f, v)| format!("{}={}", f.name(), v)).collect();
        let _ = writeln!(out, "{indent}facts: {}", facts.join(", "));
    }
    if !t.rules.is_empty() {
        let rules: Vec<String> = t.rules.iter().map(|(r, v)| format!("{r}={v}")).collect();
        let _ = writeln!(out, "{indent}relies on: {}", rules.join(", "));
    }
}

impl Trace {
    fn force_label(&self) -> &'static str {
        match self.force {
            crate::lang::Force::Law => "law:",
            crate::lang::Force::Voluntary => "voluntary norm:",
        }
    }
}

fn finding_line(out: &mut String, f: &Finding, indent: &str, label: &str) {
    let _ = write!(out, "{indent}{label}{:<44} {}", f.rule, f.status.words());
    if !f.missing.is_empty() {
        let _ = write!(out, " (missing: {})", names(&f.missing));
    }
    out.push('\n');
    if let Some(t) = &f.trace {
        trace_lines(out, t, &format!("{indent}{}    ", " ".repeat(label.len())));
    }
}

/// The assessment as text: conclusions first, then every finding with its trace.
/// Findings that are not applicable are listed last, in one line.
pub fn text(a: &Assessment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Assessment under instruments {} (view of {}, date {})",
        &a.instruments_version[..a.instruments_version.len().min(12)],
        a.perspective.map(|p| p.to_string()).unwrap_or_else(|| "no state".into()),
        a.date.map(|d| d.to_string()).unwrap_or_else(|| "unknown".into())
    );
    let in_force: Vec<&str> = a.in_force.iter().map(|s| &**s).collect();
    let _ = writeln!(out, "In force: {}", in_force.join(", "));
    out.push('\n');
    let r = &a.responsibility;
    match r.basis {
        Some(b) => {
            let _ = writeln!(out, "State responsibility: {}{}", b.label(), by(&r.by));
        }
        None => {
            let _ = writeln!(out, "State responsibility: CANNOT TELL (missing: {}){}", names(&r.missing), by(&r.by));
        }
    }
    let t = &a.threshold;
    let _ = write!(out, "Threshold: {}{}", t.reached.label(), by(&t.by));
    if let Some(above) = t.cannot_tell_above {
        let _ = write!(out, "; cannot tell whether {} (missing: {})", above.label(), names(&t.missing));
    }
    out.push('\n');
    let _ = writeln!(out, "Lawful responses:");
    for resp in &a.responses {
        let word = match resp.available {
            Tri::Yes => "available".to_string(),
            Tri::No => "not available".to_string(),
            Tri::Unknown => format!("CANNOT TELL (missing: {})", names(&resp.missing)),
        };
        let _ = writeln!(out, "  {:<16} {} [{}]", resp.response.label(), word, resp.by);
        if let Some(t) = &resp.trace {
            trace_lines(&mut out, t, "      ");
        }
        if resp.available != Tri::No {
            for d in &resp.duties {
                finding_line(&mut out, d, "      ", "duty ");
            }
        }
    }
    out.push('\n');
    let _ = writeln!(out, "Findings:");
    let mut inapplicable = Vec::new();
    for f in &a.findings {
        if f.status == Status::NotApplicable && f.trace.is_none() {
            inapplicable.push(&*f.rule);
            continue;
        }
        finding_line(&mut out, f, "  ", "");
    }
    if !inapplicable.is_empty() {
        let _ = writeln!(out, "  not applicable: {}", inapplicable.join(", "));
    }
    out
}

fn by(rules: &[crate::name::Name]) -> String {
    if rules.is_empty() {
        String::new()
    } else {
        format!(" [{}]", rules.iter().map(|r| &**r).collect::<Vec<_>>().join(", "))
    }
}

/// One conclusion that differs between two assessments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `rule <id>`, `responsibility`, `threshold`, `response <kind>`, `response <kind>
    /// duty <id>`, `conduct <category>` or `in_force`.
    pub what: String,
    pub before: String,
    pub after: String,
}

/// `threshold: sovereignty -> below_threshold`.
impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} -> {}", self.what, self.before, self.after)
    }
}

/// Which conclusions change from `before` to `after` (typically the same incident under
/// current and amended instruments).
pub fn diff(before: &Assessment, after: &Assessment) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |what: String, b: String, a: String| {
        if b != a {
            out.push(Change { what, before: b, after: a });
        }
    };
    // The set of instruments in force, not the order the files were read in: renaming a
    // file changes nothing in law.
    push("in_force".into(), join_sorted(&before.in_force), join_sorted(&after.in_force));
    push("responsibility".into(), resp(before), resp(after));
    push("threshold".into(), thr(before), thr(after));
    for kind in crate::model::ResponseKind::ALL {
        let b = before.response(*kind).map(|r| r.available.label()).unwrap_or("absent");
        let a = after.response(*kind).map(|r| r.available.label()).unwrap_or("absent");
        push(format!("response {}", kind.label()), b.into(), a.into());
        // The conditions a measure of this kind must meet are conclusions too: an
        // amended proportionality rule changes what a countermeasure may be.
        let no_duties: &[Finding] = &[];
        let duties = |x: &Assessment| x.response(*kind).map_or(no_duties, |r| r.duties.as_slice()).to_vec();
        for (id, b, a) in paired(&duties(before), &duties(after)) {
            push(format!("response {} duty {id}", kind.label()), b, a);
        }
    }
    for (id, b, a) in paired(&before.findings, &after.findings) {
        push(format!("rule {id}"), b, a);
    }
    // What research coders call a breach of each body of law (the conduct element met):
    // moving a rule to another category changes it even when no finding changes.
    for ((category, b), (_, a)) in before.conduct.iter().zip(after.conduct.iter()) {
        push(format!("conduct {}", category.label()), b.label().to_string(), a.label().to_string());
    }
    out
}

/// Each rule id of either list, in first-seen order, with its status on each side
/// ("absent" where a side has no finding for it).
fn paired(before: &[Finding], after: &[Finding]) -> Vec<(String, String, String)> {
    let mut ids: Vec<&str> = before.iter().map(|f| &*f.rule).collect();
    for f in after {
        if !ids.contains(&&*f.rule) {
            ids.push(&f.rule);
        }
    }
    let side = |list: &[Finding], id: &str| list.iter().find(|f| &*f.rule == id).map(status).unwrap_or_else(|| "absent".into());
    ids.into_iter().map(|id| (id.to_string(), side(before, id), side(after, id))).collect()
}

fn join_sorted(v: &[crate::name::Name]) -> String {
    let mut ids: Vec<&str> = v.iter().map(|s| &**s).collect();
    ids.sort_unstable();
    ids.join(", ")
}

fn status(f: &Finding) -> String {
    if f.missing.is_empty() { f.status.label().to_string() } else { format!("{} (missing: {})", f.status.label(), names(&f.missing)) }
}

fn resp(a: &Assessment) -> String {
    a.responsibility.basis.map(|b| b.label().to_string()).unwrap_or_else(|| "cannot_tell".into())
}

fn thr(a: &Assessment) -> String {
    match a.threshold.cannot_tell_above {
        Some(t) => format!("{} (cannot tell whether {})", a.threshold.reached.label(), t.label()),
        None => a.threshold.reached.label().into(),
    }
}

/// The changes as text, one per line: `threshold: sovereignty -> below_threshold`.
pub fn diff_text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "No conclusion changes.\n".into();
    }
    changes.iter().map(|c| format!("{c}\n")).collect()
}
