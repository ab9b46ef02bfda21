//! The one validation error of the domain.

use std::fmt;

/// A value that the domain refuses. It always names the field, the value that was given
/// and the rule it broke, so a user (or an importer's report) can fix the input without
/// reading the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub value: String,
    pub rule: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, value: impl fmt::Display, rule: impl Into<String>) -> Self {
        let mut value = value.to_string();
        // Keep messages one readable line even when the offending value is a paragraph.
        if value.chars().count() > 80 {
            value = value.chars().take(77).collect::<String>() + "...";
        }
        Invalid { field: field.into(), value, rule: rule.into() }
    }

    /// Prefixes the field with its parent, e.g. `targets[2].state`.
    pub fn within(mut self, parent: impl fmt::Display) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?} is not valid: {}", self.field, self.value, self.rule)
    }
}

impl std::error::Error for Invalid {}

/// Refuses control characters in prose, other than line breaks and tabs. PostgreSQL's text
/// cannot hold NUL, and an escape sequence in a title or a note would rewrite the terminal
/// of whoever lists it: refused alike on every write path and both backends.
pub fn check_prose(field: &str, text: &str) -> Result<(), Invalid> {
    match text.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        Some(c) => Err(Invalid::new(field, text.escape_debug(), format!("must not contain control characters (found U+{:04X})", c as u32))),
        None => Ok(()),
    }
}
