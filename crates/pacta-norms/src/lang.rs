//! The literate instrument format: Markdown prose with fenced ```` ```instrument ```` and
//! ```` ```rule ```` blocks. This module only reads the text into declarations with
//! positions; [`crate::instruments`] checks names and compiles them.
//!
//! Inside a block every line is `key: value`; a line that starts with a space continues
//! the previous value (long conditions); a line that starts with `#` is a comment.
//! Conditions are names joined with `and`, `or`, `not` and parentheses; a condition that
//! mixes `and` with `or` at one level must use parentheses, so that no reader has to know
//! which binds tighter.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A place in a rule file, 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// Why a set of instrument files was refused. Displays as `file:line:column: message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

impl std::error::Error for LoadError {}

pub(crate) fn err(file: &str, pos: Pos, message: impl Into<String>) -> LoadError {
    LoadError { file: file.to_string(), line: pos.line, column: pos.column, message: message.into() }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Obligation,
    Prohibition,
    Permission,
    Exception,
    Definition,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Obligation => "obligation",
            Kind::Prohibition => "prohibition",
            Kind::Permission => "permission",
            Kind::Exception => "exception",
            Kind::Definition => "definition",
        }
    }
    /// The key that states a rule's outcome.
    pub(crate) fn outcome_key(self) -> &'static str {
        match self {
            Kind::Obligation | Kind::Prohibition => "breached when",
            Kind::Permission => "permitted when",
            Kind::Definition => "holds when",
            Kind::Exception => "(the outcome key of the rule it is an exception to)",
        }
    }
}

/// Binding law, or a voluntary, non-binding norm of responsible state behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Force {
    Law,
    Voluntary,
}

#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Const(bool),
    Name(String, Pos),
    Not(Box<Expr>),
    /// `shown x`: yes only if x is known to be yes. States a burden of proof: a
    /// circumstance that must be established to count (consent, a Council decision).
    Shown(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

#[derive(Clone, Debug)]
pub(crate) struct Value {
    pub text: String,
    pub pos: Pos,
    /// (offset into `text`, position) for each line the value spans.
    segments: Vec<(usize, Pos)>,
}

impl Value {
    fn pos_at(&self, offset: usize) -> Pos {
        let (start, p) = self.segments.iter().rev().find(|(o, _)| *o <= offset).copied().unwrap_or((0, self.pos));
        // Columns count characters, as an editor shows them, not bytes.
        Pos { line: p.line, column: p.column + self.text.get(start..offset).map_or(offset - start, |t| t.chars().count()) as u32 }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub pos: Pos,
    pub fields: Vec<(String, Pos, Value)>,
}

impl Block {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v)
    }
}

pub(crate) struct ParsedFile {
    pub instrument: Option<Block>,
    pub rules: Vec<Block>,
}

const INSTRUMENT_KEYS: &[&str] = &["id", "title", "cites", "scope", "state", "parties", "non-parties", "joined", "from", "force"];
const RULE_KEYS: &[&str] = &[
    "id",
    "kind",
    "force",
    "cites",
    "exception to",
    "applies when",
    "breached when",
    "permitted when",
    "holds when",
    "category",
    "threshold",
    "responsibility",
    "response",
    "governs",
    "tailors",
];

/// `rule` or `instrument` when `line` opens a fenced block meant as one but written so
/// that it is not read (`~~~rule`, ````` ````rule `````, ```` ```Rule ````, ```` ```rule {#x} ````).
fn near_miss_fence(line: &str) -> Option<&'static str> {
    let (fence, rest) = if let Some(r) = line.strip_prefix("```") {
        ("```", r)
    } else if let Some(r) = line.strip_prefix("~~~") {
        ("~~~", r)
    } else {
        return None;
    };
    let info = rest.trim_start_matches(['`', '~']).trim();
    let word = info.split(|c: char| c.is_whitespace() || c == '{').next().unwrap_or("").to_ascii_lowercase();
    let kind = match word.as_str() {
        "rule" => "rule",
        "instrument" => "instrument",
        _ => return None,
    };
    let exact = fence == "```" && rest.trim() == kind;
    (!exact).then_some(kind)
}

/// Splits a Markdown file into its instrument block and rule blocks. Prose is ignored.
pub(crate) fn split(file: &str, text: &str) -> Result<ParsedFile, Vec<LoadError>> {
    let mut errors = Vec::new();
    let mut out = ParsedFile { instrument: None, rules: Vec::new() };
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim_start();
        let open = Pos { line: i as u32 + 1, column: line[..line.len() - trimmed.len()].chars().count() as u32 + 1 };
        if let Some(kind) = near_miss_fence(trimmed) {
            // Markdown accepts these fences, so a lawyer sees a block; the engine would not
            // read it, and the rule would silently never apply.
            errors.push(err(file, open, format!("this looks like a {kind} block but is not read as one: open it with ```{kind} alone on the line")));
        }
        let Some(info) = trimmed.strip_prefix("```") else { continue };
        let info = info.trim();
        let is_rule = info == "rule";
        let is_instrument = info == "instrument";
        let mut block = Block { pos: open, fields: Vec::new() };
        let mut closed = false;
        for (j, l) in lines.by_ref() {
            let lno = j as u32 + 1;
            if let Some(next) = l.trim_start().strip_prefix("```") {
                if (is_rule || is_instrument) && !next.trim().is_empty() {
                    // A fence with an info string opens a block: the one open was never
                    // closed, and that is where the lawyer must look.
                    errors.push(err(file, open, format!("this {info} block is never closed: the next block opens at line {lno}")));
                }
                closed = true;
                break;
            }
            if !(is_rule || is_instrument) {
                continue;
            }
            if l.trim().is_empty() || l.trim_start().starts_with('#') {
                continue;
            }
            if l.starts_with(' ') || l.starts_with('\t') {
                let indent = l.len() - l.trim_start().len();
                let allowed = if is_rule { RULE_KEYS } else { INSTRUMENT_KEYS };
                if let Some((key, _)) = l.trim_start().split_once(':')
                    && allowed.contains(&key.trim_end())
                {
                    // Read as a continuation, this line would fold a whole field into the
                    // value above, and the block would silently lack it.
                    errors.push(err(
                        file,
                        Pos { line: lno, column: l[..indent].chars().count() as u32 + 1 },
                        format!("`{}:` is indented, so it would continue the line above; start a key at the beginning of its line", key.trim_end()),
                    ));
                    continue;
                }
                match block.fields.last_mut() {
                    Some((_, _, v)) => {
                        v.text.push(' ');
                        let offset = v.text.len();
                        v.segments.push((offset, Pos { line: lno, column: l[..indent].chars().count() as u32 + 1 }));
                        v.text.push_str(l.trim());
                    }
                    None => errors.push(err(file, Pos { line: lno, column: 1 }, "a continuation line must follow a `key: value` line")),
                }
                continue;
            }
            let Some(colon) = l.find(':') else {
                errors.push(err(file, Pos { line: lno, column: 1 }, "expected `key: value`"));
                continue;
            };
            let key = l[..colon].trim().to_string();
            let allowed = if is_rule { RULE_KEYS } else { INSTRUMENT_KEYS };
            if !allowed.contains(&key.as_str()) {
                errors.push(err(
                    file,
                    Pos { line: lno, column: 1 },
                    format!("unknown key `{key}`; a {} block takes: {}", info, allowed.join(", ")),
                ));
                continue;
            }
            if block.fields.iter().any(|(k, _, _)| *k == key) {
                errors.push(err(file, Pos { line: lno, column: 1 }, format!("`{key}` is given twice in this block")));
                continue;
            }
            let rest = &l[colon + 1..];
            let lead = rest.len() - rest.trim_start().len();
            let vpos = Pos { line: lno, column: l[..colon + 1 + lead].chars().count() as u32 + 1 };
            let value = Value { text: rest.trim().to_string(), pos: vpos, segments: vec![(0, vpos)] };
            block.fields.push((key, Pos { line: lno, column: 1 }, value));
        }
        if !closed {
            errors.push(err(file, open, "this fenced block is never closed with ```"));
        }
        if is_rule {
            out.rules.push(block);
        } else if is_instrument {
            if out.instrument.is_some() {
                errors.push(err(file, open, "a file declares one instrument; this is a second ```instrument block"));
            } else if !out.rules.is_empty() {
                errors.push(err(file, open, "the ```instrument block must come before the first ```rule block"));
            } else {
                out.instrument = Some(block);
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

#[derive(Debug, PartialEq)]
enum Tok {
    Open,
    Close,
    Word(String),
}

fn tokens(file: &str, v: &Value) -> Result<Vec<(Tok, Pos)>, LoadError> {
    let mut out = Vec::new();
    let b = v.text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'(' {
            out.push((Tok::Open, v.pos_at(i)));
            i += 1;
        } else if c == b')' {
            out.push((Tok::Close, v.pos_at(i)));
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.' | b'-')) {
                i += 1;
            }
            out.push((Tok::Word(v.text[start..i].to_string()), v.pos_at(start)));
        } else {
            return Err(err(file, v.pos_at(i), format!("unexpected character `{}` in a condition", v.text[i..].chars().next().unwrap_or('?'))));
        }
    }
    Ok(out)
}

/// Parses a condition: `a and (b or not c)`.
pub(crate) fn parse_condition(file: &str, v: &Value) -> Result<Expr, LoadError> {
    let toks = tokens(file, v)?;
    let mut p = CondParser { file, toks, i: 0, end: v.pos_at(v.text.len()), depth: 0 };
    let e = p.expr()?;
    if let Some((t, pos)) = p.toks.get(p.i) {
        return Err(err(file, *pos, format!("unexpected {} after a complete condition", describe(t))));
    }
    Ok(e)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::Word(w) => format!("`{w}`"),
    }
}

struct CondParser<'a> {
    file: &'a str,
    toks: Vec<(Tok, Pos)>,
    i: usize,
    end: Pos,
    /// How many parentheses, `not`s and `shown`s enclose the current position. Bounded
    /// so that a malformed file cannot exhaust the stack of this recursive parser (or of
    /// the engine, which walks the same tree).
    depth: usize,
}

/// Deeper than any condition a lawyer writes; shallow enough for every recursion.
const MAX_NESTING: usize = 64;

impl CondParser<'_> {
    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.i) {
            Some((Tok::Word(w), _)) => Some(w),
            _ => None,
        }
    }
    fn pos(&self) -> Pos {
        self.toks.get(self.i).map(|t| t.1).unwrap_or(self.end)
    }
    fn expr(&mut self) -> Result<Expr, LoadError> {
        let first = self.unary()?;
        let op = match self.peek_word() {
            Some("and") => "and",
            Some("or") => "or",
            _ => return Ok(first),
        };
        let mut items = vec![first];
        while let Some(w) = self.peek_word() {
            if w == op {
                self.i += 1;
                items.push(self.unary()?);
            } else if w == "and" || w == "or" {
                return Err(err(
                    self.file,
                    self.pos(),
                    "this condition mixes `and` and `or`: add parentheses to say which groups first",
                ));
            } else {
                break;
            }
        }
        Ok(if op == "and" { Expr::And(items) } else { Expr::Or(items) })
    }
    fn unary(&mut self) -> Result<Expr, LoadError> {
        if self.depth >= MAX_NESTING {
            return Err(err(self.file, self.pos(), format!("this condition nests more than {MAX_NESTING} deep (parentheses, `not`, `shown`)")));
        }
        self.depth += 1;
        let e = self.unary_inner();
        self.depth -= 1;
        e
    }
    fn unary_inner(&mut self) -> Result<Expr, LoadError> {
        let pos = self.pos();
        match self.toks.get(self.i) {
            None => Err(err(self.file, pos, "the condition ends where a name, `not` or `(` was expected")),
            Some((Tok::Open, _)) => {
                self.i += 1;
                let e = self.expr()?;
                match self.toks.get(self.i) {
                    Some((Tok::Close, _)) => {
                        self.i += 1;
                        Ok(e)
                    }
                    _ => Err(err(self.file, self.pos(), "expected `)` to close the parenthesis")),
                }
            }
            Some((Tok::Close, _)) => Err(err(self.file, pos, "unexpected `)`")),
            Some((Tok::Word(w), _)) => {
                let w = w.clone();
                self.i += 1;
                match w.as_str() {
                    "not" => Ok(Expr::Not(Box::new(self.unary()?))),
                    "shown" => Ok(Expr::Shown(Box::new(self.unary()?))),
                    "true" => Ok(Expr::Const(true)),
                    "false" => Ok(Expr::Const(false)),
                    "and" | "or" => Err(err(self.file, pos, format!("`{w}` needs a condition before it"))),
                    _ => Ok(Expr::Name(w, pos)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> Value {
        let pos = Pos { line: 3, column: 15 };
        Value { text: s.into(), pos, segments: vec![(0, pos)] }
    }

    #[test]
    fn mixing_and_with_or_needs_parentheses_and_the_error_points_at_it() {
        let e = parse_condition("f.md", &value("a and b or c")).unwrap_err();
        assert_eq!((e.line, e.column), (3, 23));
        assert!(e.message.contains("parentheses"));
        assert!(parse_condition("f.md", &value("a and (b or not c)")).is_ok());
    }

    #[test]
    fn an_unclosed_parenthesis_is_reported_at_the_end_of_the_condition() {
        let e = parse_condition("f.md", &value("(a and b")).unwrap_err();
        assert_eq!(e.to_string(), "f.md:3:23: expected `)` to close the parenthesis");
    }
}
