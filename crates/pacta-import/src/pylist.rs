//! EuRepoC writes multi-valued cells as Python list literals (`['Armenia']`,
//! `[['ASIA', 'CENTAS']]`, `["People's Republic"]`). This reads them without evaluating
//! anything: strings in single or double quotes with backslash escapes, nested lists,
//! and bare words such as `nan`.

#[derive(Clone, Debug, PartialEq)]
pub enum PyValue {
    Str(String),
    List(Vec<PyValue>),
}

impl PyValue {
    /// All strings, depth first.
    pub fn flatten(&self) -> Vec<String> {
        let mut out = Vec::new();
        fn walk(v: &PyValue, out: &mut Vec<String>) {
            match v {
                PyValue::Str(s) => out.push(s.clone()),
                PyValue::List(items) => items.iter().for_each(|i| walk(i, out)),
            }
        }
        walk(self, &mut out);
        out
    }

    /// The top-level items, each flattened: `[['a','b'],['c']]` gives `[[a,b],[c]]`.
    pub fn groups(&self) -> Vec<Vec<String>> {
        match self {
            PyValue::List(items) => items.iter().map(PyValue::flatten).collect(),
            PyValue::Str(s) => vec![vec![s.clone()]],
        }
    }
}

/// Parses a cell. A cell that is not a list literal is a single string.
pub fn parse(cell: &str) -> Result<PyValue, String> {
    let cell = cell.trim();
    if !cell.starts_with('[') {
        return Ok(PyValue::Str(cell.to_string()));
    }
    let chars: Vec<char> = cell.chars().collect();
    let mut pos = 0;
    let v = value(&chars, &mut pos, 0)?;
    skip_ws(&chars, &mut pos);
    if pos != chars.len() {
        return Err(format!("unexpected text after the list at character {}", pos + 1));
    }
    Ok(v)
}

fn skip_ws(c: &[char], pos: &mut usize) {
    while *pos < c.len() && c[*pos].is_whitespace() {
        *pos += 1;
    }
}

/// How deeply lists may nest. EuRepoC nests two deep; the bound keeps a malformed cell
/// (thousands of `[`) from exhausting the stack, since lists are read recursively.
const MAX_DEPTH: usize = 32;

fn value(c: &[char], pos: &mut usize, depth: usize) -> Result<PyValue, String> {
    skip_ws(c, pos);
    match c.get(*pos) {
        Some('[') if depth >= MAX_DEPTH => Err(format!("lists nest more than {MAX_DEPTH} deep at character {}", *pos + 1)),
        Some('[') => {
            *pos += 1;
            let mut items = Vec::new();
            loop {
                skip_ws(c, pos);
                match c.get(*pos) {
                    Some(']') => {
                        *pos += 1;
                        return Ok(PyValue::List(items));
                    }
                    Some(_) => {
                        items.push(value(c, pos, depth + 1)?);
                        skip_ws(c, pos);
                        match c.get(*pos) {
                            Some(',') => *pos += 1,
                            Some(']') => {}
                            Some(other) => return Err(format!("expected ',' or ']' but found {other:?} at character {}", *pos + 1)),
                            None => return Err("the list is not closed".into()),
                        }
                    }
                    None => return Err("the list is not closed".into()),
                }
            }
        }
        Some(q @ ('\'' | '"')) => {
            let quote = *q;
            *pos += 1;
            let mut s = String::new();
            while let Some(&ch) = c.get(*pos) {
                *pos += 1;
                match ch {
                    '\\' => {
                        let esc = c.get(*pos).copied().ok_or("a string ends in a backslash")?;
                        *pos += 1;
                        s.push(match esc {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                    ch if ch == quote => return Ok(PyValue::Str(s)),
                    ch => s.push(ch),
                }
            }
            Err("a string is not closed".into())
        }
        Some(_) => {
            // A bare word such as nan or None.
            let start = *pos;
            while *pos < c.len() && !matches!(c[*pos], ',' | ']') {
                *pos += 1;
            }
            Ok(PyValue::Str(c[start..*pos].iter().collect::<String>().trim().to_string()))
        }
        None => Err("the cell ends where a value was expected".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_lists_and_both_quote_styles() {
        let v = parse(r#"[['ASIA', 'CENTAS'], ["People's Republic", 'x\'y'], nan]"#).unwrap();
        assert_eq!(v.groups(), vec![vec!["ASIA".to_string(), "CENTAS".into()], vec!["People's Republic".into(), "x'y".into()], vec!["nan".into()]]);
        assert_eq!(parse("plain").unwrap(), PyValue::Str("plain".into()));
        assert_eq!(parse("[]").unwrap().flatten(), Vec::<String>::new());
    }

    #[test]
    fn broken_literals_are_errors_not_panics() {
        for bad in ["[", "['a'", "['a' 'b']", "['a']]", "['a\\"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
