//! Importers: turn the research databases people already use into Pacta records.
//!
//! Readers here only read and map; they never write. Each returns the records it could
//! build plus a [`ReadReport`] that names every row it refused, with its line number and
//! the reason (rust-analyzer's "a value plus a list of errors"): one bad row never costs
//! the good ones. A file that is not the expected format at all is refused whole, before
//! anything is written, with a message that says what was expected.
//!
//! Writing is the storage layer's job (`pacta_store::Store::import_records`), which makes
//! each batch one transaction and each record one ledger entry.
//!
//! ```no_run
//! let read = pacta_import::eurepoc::read_dir(std::path::Path::new("data/eurepoc")).unwrap();
//! println!("{} incidents, {} rows refused", read.records.len(), read.report.refused.len());
//! ```

pub mod cfr;
pub mod eurepoc;
pub mod synthetic;
mod pylist;

use std::fmt;
use std::path::PathBuf;

/// A whole-file refusal: nothing from this file may be written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not {expected}: {problem}")]
    NotTheFormat { path: PathBuf, expected: &'static str, problem: String },
}

/// One refused row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// What a reader did: rows seen, and every row it refused.
#[derive(Clone, Debug, Default)]
pub struct ReadReport {
    pub rows_read: u64,
    pub refused: Vec<RowProblem>,
}

/// Reads a CSV file's bytes, refusing anything that is not UTF-8 text.
fn read_text(path: &std::path::Path, expected: &'static str) -> Result<String, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io { path: path.to_path_buf(), source })?;
    let text = String::from_utf8(bytes).map_err(|e| ImportError::NotTheFormat {
        path: path.to_path_buf(),
        expected,
        problem: format!("it is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
    })?;
    // Excel and some exporters write a byte-order mark; it is not part of the first header.
    Ok(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text))
}

/// The line a CSV record starts on, counted from its byte offset. The csv reader's own
/// line count is one short for every file saved with CRLF line ends, so a refusal would
/// send the user to the line above the bad one. Offsets only grow from one record to the
/// next, so the count resumes where it stopped: one pass over the file in all.
struct LineCounter<'t> {
    text: &'t [u8],
    byte: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        LineCounter { text: text.as_bytes(), byte: 0, line: 1 }
    }

    fn line(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return 0 };
        let mut to = (pos.byte() as usize).min(self.text.len());
        // After a CRLF the reader's offset is the '\n' still to come: a record starts
        // after its line ends.
        while to < self.text.len() && matches!(self.text[to], b'\r' | b'\n') {
            to += 1;
        }
        if to < self.byte {
            // Not in order after all: count from the start.
            self.byte = 0;
            self.line = 1;
        }
        self.line += self.text[self.byte..to].iter().filter(|b| **b == b'\n').count() as u64;
        self.byte = to;
        self.line
    }
}

/// Column positions found by header name, so that extra or reordered columns import just as well.
/// What a strict reading of a CSV text's quotes finds, which the lenient reader passes over.
#[derive(Debug, Default)]
struct QuoteScan {
    /// The lines (1-based) on which a quoted field opens that, where it closes, has text
    /// other than a delimiter after its closing quote: `"a"b,`. The mark of an unbalanced
    /// quote that shifted the fields, or joined the rows, after it.
    faults: Vec<u64>,
    /// The line on which a quoted field opens that never closes: every row after it was
    /// read into that one field.
    unclosed: Option<u64>,
}

fn scan_quotes(text: &str) -> QuoteScan {
    let mut scan = QuoteScan::default();
    let (mut line, mut at_field_start, mut opened_on) = (1u64, true, None::<u64>);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if opened_on.is_some() {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                }
                '"' => {
                    let opened = opened_on.take().unwrap_or(line);
                    if !matches!(chars.peek(), None | Some(',' | '\r' | '\n')) && scan.faults.last() != Some(&opened) {
                        scan.faults.push(opened);
                    }
                }
                '\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match c {
            '"' if at_field_start => opened_on = Some(line),
            ',' => {
                at_field_start = true;
                continue;
            }
            '\n' => {
                line += 1;
                at_field_start = true;
                continue;
            }
            _ => {}
        }
        at_field_start = false;
    }
    scan.unclosed = opened_on;
    scan
}

impl QuoteScan {
    /// The first line on which a quote opens that does not close as a field ends.
    fn first_fault(&self) -> Option<u64> {
        self.faults.first().copied().into_iter().chain(self.unclosed).min()
    }
}

struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn new(headers: &csv::StringRecord) -> Self {
        Columns { names: headers.iter().map(|h| h.trim().to_string()).collect() }
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Refuses the file when required columns are missing, naming all of them at once.
    fn require(&self, path: &std::path::Path, expected: &'static str, required: &[&str]) -> Result<(), ImportError> {
        let missing: Vec<&str> = required.iter().copied().filter(|c| self.find(c).is_none()).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ImportError::NotTheFormat {
                path: path.to_path_buf(),
                expected,
                problem: format!("missing column(s) {}; found {}", missing.join(", "), preview(&self.names)),
            })
        }
    }
}

fn preview(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(6).map(String::as_str).collect();
    let more = if names.len() > 6 { format!(" and {} more", names.len() - 6) } else { String::new() };
    format!("[{}]{more}", shown.join(", "))
}

/// A row with its columns looked up by name.
struct Row<'a> {
    cols: &'a Columns,
    record: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    fn get(&self, name: &str) -> &'a str {
        self.cols.find(name).and_then(|i| self.record.get(i)).map(str::trim).unwrap_or("")
    }

    /// The row's content as the data set means it: each cell under its column's name, in
    /// name order, without surrounding blanks and with line breaks as `\n`. Two files that
    /// differ only in column order, line endings or padding give the same text, so a
    /// re-import does not take a re-saved file for changed data.
    fn canonical(&self) -> String {
        let mut cells: Vec<(&str, String)> = self.cols.names.iter().zip(self.record.iter()).map(|(n, v)| (n.as_str(), v.trim().replace("\r\n", "\n"))).collect();
        cells.sort();
        let mut out = String::new();
        for (name, value) in cells {
            out.push_str(name);
            out.push('\u{1f}');
            out.push_str(&value);
            out.push('\u{1e}');
        }
        out
    }

    /// The name of the first column whose cell holds a NUL character (which no text column
    /// of PostgreSQL can store).
    fn nul_column(&self) -> Option<&'a str> {
        self.record.iter().position(|c| c.contains('\0')).map(|i| self.cols.names.get(i).map_or("?", String::as_str))
    }

    /// The first column outside `prose` whose cell holds a line break, with the cell. In
    /// a column that never holds one, a line break is the mark of an unbalanced quote
    /// that joined the row to the rows after it.
    fn line_break_outside(&self, prose: &[&str]) -> Option<(&'a str, &'a str)> {
        self.cols.names.iter().zip(self.record.iter()).find(|(n, v)| !prose.contains(&n.as_str()) && v.contains(['\n', '\r'])).map(|(n, v)| (n.as_str(), v))
    }

    /// The cell, or `None` when empty or one of the data sets' "don't know" markers.
    fn known(&self, name: &str) -> Option<&'a str> {
        let v = self.get(name);
        if is_unknown(v) { None } else { Some(v) }
    }
}

fn is_unknown(v: &str) -> bool {
    // "NaT" is pandas' missing date.
    matches!(v.trim(), "" | "Not available" | "Unknown" | "nan" | "NaT" | "None" | "N" | "[]" | "Unknown - not attributed")
}

/// A response's measure as the registry holds it (at most 300 bytes) and, when the source's
/// text is longer, the whole text for the description: nothing the source says is cut.
fn measure_text(text: &str) -> (String, Option<String>) {
    const MAX: usize = 300;
    if text.len() <= MAX {
        return (text.to_string(), None);
    }
    let mut end = MAX - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (format!("{}…", &text[..end]), Some(text.to_string()))
}

/// SHA-256 over the source rows' content ([`Row::canonical`]), so a re-import recognises
/// unchanged rows.
fn source_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}
