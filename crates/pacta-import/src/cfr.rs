//! The Council on Foreign Relations' Cyber Operations Tracker, CSV export.
//!
//! Columns: Title, Date (M/D/YYYY, may be empty), Affiliations, Description, Response
//! (a type, spaces, then a link), Victims, Sponsor, Type, Category, Sources_1..3. Real
//! exports contain misaligned rows; each is refused by line number and every well-formed
//! row is kept.

use crate::{Columns, ImportError, ReadReport, Row, RowProblem, measure_text, read_text, source_hash};
use chrono::NaiveDate;
use pacta_core::*;
use std::path::Path;

const EXPECTED: &str = "a CFR Cyber Operations Tracker CSV export";
const REQUIRED: &[&str] = &["Title", "Date", "Description", "Sponsor", "Type", "Victims"];

#[derive(Debug, Default)]
pub struct CfrRead {
    pub records: Vec<IncidentRecord>,
    pub report: ReadReport,
}

pub fn read_file(path: &Path) -> Result<CfrRead, ImportError> {
    let text = read_text(path, EXPECTED)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| ImportError::NotTheFormat { path: path.to_path_buf(), expected: EXPECTED, problem: e.to_string() })?.clone();
    let cols = Columns::new(&headers);
    cols.require(path, EXPECTED, REQUIRED)?;
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut read = CfrRead::default();
    let mut seen = std::collections::HashSet::new();
    let mut lines = crate::LineCounter::new(&text);
    let quotes = crate::scan_quotes(&text);
    for rec in reader.records() {
        let record = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = lines.line(e.position());
                read.report.refused.push(RowProblem { file: file.clone(), line, reason: format!("is not valid CSV: {e}") });
                continue;
            }
        };
        let line = lines.line(record.position());
        read.report.rows_read += 1;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            read.report.refused.push(RowProblem { file: file.clone(), line, reason: format!("is misaligned: {} fields where the header has {}", record.len(), headers.len()) });
            continue;
        }
        let row = Row { cols: &cols, record: &record };
        let last = line + record.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
        if let Some(opened) = quotes.unclosed.filter(|l| (line..=last).contains(l)) {
            read.report.refused.push(RowProblem { file: file.clone(), line, reason: format!("has a quoted field that opens on line {opened} and never closes: lines {line} to {last} were read as this one row, so none of them was imported") });
            continue;
        }
        if let Some(fault) = quotes.faults.iter().find(|f| (line..=last).contains(f)) {
            read.report.refused.push(RowProblem { file: file.clone(), line, reason: format!("has a quoted field, opened on line {fault}, with text after its closing quote: an unbalanced quote shifted the fields after it; lines {line} to {last} were read as this one row, so none of them was imported") });
            continue;
        }
        if let Some(reason) = joined_rows(&row) {
            read.report.refused.push(RowProblem { file: file.clone(), line, reason: format!("{reason}; lines {line} to {last} were read as this one row, so none of them was imported") });
            continue;
        }
        if let Some(col) = row.nul_column() {
            // PostgreSQL's text refuses NUL: refused here, by column, not mid-import.
            read.report.refused.push(RowProblem { file: file.clone(), line, reason: format!("column {col} holds a NUL character") });
            continue;
        }
        match incident_record(&row) {
            Ok(r) => {
                let key = r.incident.origin.as_ref().map(|o| o.record_id.clone()).unwrap_or_default();
                if seen.insert(key.clone()) {
                    read.records.push(r);
                } else {
                    read.report.refused.push(RowProblem { file: file.clone(), line, reason: format!("repeats the incident {key:?} of an earlier row") });
                }
            }
            Err(reason) => read.report.refused.push(RowProblem { file: file.clone(), line, reason }),
        }
    }
    Ok(read)
}

/// Why `row` looks like several rows read as one, if it does. An unbalanced quote makes
/// the reader run on to the next quote, taking the rows between into one field; when the
/// count of fields still comes out right, only the content shows it. The tracker writes
/// line breaks in its prose (Description, Response) and nowhere else, and no line of its
/// prose opens as a row does: a title, then a date as M/D/YYYY.
fn joined_rows(row: &Row) -> Option<String> {
    const PROSE: &[&str] = &["Description", "Response"];
    if let Some((col, _)) = row.line_break_outside(PROSE) {
        return Some(format!("has a line break inside column {col}, where the tracker writes none: an unbalanced quote joined it to the rows after it"));
    }
    PROSE.iter().find(|col| row.get(col).lines().skip(1).any(opens_a_row)).map(|col| format!("column {col} holds a line that opens as a row does (a title, then a date): an unbalanced quote joined it to the rows after it"))
}

/// Whether a line opens as a tracker row: a title (quoted or not), a comma, a date.
fn opens_a_row(line: &str) -> bool {
    let rest = match line.strip_prefix('"') {
        Some(quoted) => quoted.split_once("\",").map(|(_, r)| r),
        None => line.split_once(',').map(|(_, r)| r),
    };
    rest.and_then(|r| r.split_once(',')).is_some_and(|(date, _)| parse_us_date(date).is_ok() && !date.trim().is_empty())
}

fn parse_us_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%m/%d/%Y").map_err(|_| format!("Date {s:?} is not a date as M/D/YYYY"))
}

pub fn operation_type(t: &str) -> Result<Vec<OperationType>, String> {
    Ok(match t.trim().to_lowercase().as_str() {
        "espionage" => vec![OperationType::Espionage],
        "sabotage" => vec![OperationType::Disruption, OperationType::Destruction],
        "data destruction" => vec![OperationType::Destruction],
        "denial of service" => vec![OperationType::Disruption],
        "financial theft" => vec![OperationType::FinancialTheft],
        "defacement" => vec![OperationType::Disruption, OperationType::Influence],
        "doxing" => vec![OperationType::Espionage, OperationType::Influence],
        "" => vec![],
        _ => {
            return Err(format!(
                "Type {t:?} is not a CFR operation type (Espionage, Sabotage, Denial of service, Data destruction, Financial Theft, Defacement, Doxing)"
            ));
        }
    })
}

fn sectors(category: &str) -> Vec<Sector> {
    let mut out = Vec::new();
    for c in category.split(',').map(|c| c.trim().to_lowercase()) {
        let s = match c.as_str() {
            "government" => Sector::Government,
            "military" => Sector::Military,
            "civil society" => Sector::CivilSociety,
            "private sector" => Sector::Corporate,
            "" => continue,
            _ => Sector::Other,
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        out.push(Sector::Unknown);
    }
    out
}

fn incident_record(row: &Row) -> Result<IncidentRecord, String> {
    let title = row.get("Title");
    if title.is_empty() {
        return Err("Title is empty".into());
    }
    let date = row.known("Date").map(parse_us_date).transpose()?;
    let mut incident = Incident::new(title, Tlp::Clear);
    // CFR rows carry no id; title and date together identify an operation in the tracker.
    let record_id = format!("{}|{}", title.to_lowercase(), date.map(|d| d.to_string()).unwrap_or_default());
    incident.origin = Some(Origin { dataset: Dataset::Cfr, record_id });
    incident.description = row.get("Description").to_string();
    incident.start_date = date;
    incident.operation_types = operation_type(row.get("Type"))?;
    let victims = row.known("Victims").map(str::to_string);
    // The tracker names victims in prose; the victim state is recovered when the text names one.
    let victim_states = victims.as_deref().map(states_named_in).unwrap_or_default();
    for sector in sectors(row.get("Category")) {
        if victim_states.is_empty() {
            incident.targets.push(Target { state: None, place: None, sector, entity: victims.clone().or(Some("Unknown".into())) });
        }
        for s in &victim_states {
            incident.targets.push(Target { state: Some(*s), place: None, sector, entity: victims.clone() });
        }
    }
    let sponsors: Vec<&str> = row.get("Sponsor").split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let sponsors = merge_split_names(&sponsors);
    let affiliation = row.known("Affiliations").map(str::to_string);
    for s in &sponsors {
        let state = StateCode::from_name(s).ok_or_else(|| format!("Sponsor {s:?} is not a state name the registry knows"))?;
        incident.alleged_actors.push(Actor { name: affiliation.clone(), state: Some(state), category: ActorCategory::StateAffiliated });
    }
    if sponsors.is_empty() && affiliation.is_some() {
        incident.alleged_actors.push(Actor { name: affiliation.clone(), state: None, category: ActorCategory::Unknown });
    }
    incident.sources = ["Sources_1", "Sources_2", "Sources_3"].iter().filter_map(|c| row.known(c)).map(str::to_string).collect();

    let mut record = IncidentRecord::new(incident);
    let response = row.get("Response");
    let (kind, link) = match response.split_once("  ") {
        Some((k, l)) => (k.trim(), Some(l.trim())),
        None => (response.trim(), None),
    };
    match kind.to_lowercase().as_str() {
        "" | "unknown" | "none" => {}
        "denial" => record.incident.alleged_reaction = Some(AllegedReaction::Denied),
        "confirmation" => record.incident.alleged_reaction = Some(AllegedReaction::Acknowledged),
        _ => {
            let (measure, whole) = measure_text(kind);
            let description = [whole, link.filter(|l| !l.is_empty()).map(str::to_string)].into_iter().flatten().collect::<Vec<_>>().join("\n");
            record.responses.push(Response {
            id: ResponseId::new(),
            incident: record.incident.id,
            responder: None,
            responder_label: Some("reported by the CFR tracker".into()),
            status: ResponseStatus::Observed,
            domain: if kind.to_lowercase().contains("charges") || kind.to_lowercase().contains("indict") { ResponseDomain::Legal } else { ResponseDomain::Political },
            measure,
            date: None,
            description: (!description.is_empty()).then_some(description),
        })
        }
    }
    record.source_hash = Some(source_hash([row.canonical().as_str()]));
    record.validate().map_err(|e| e.to_string())?;
    Ok(record)
}

/// The tracker separates sponsors with commas, but some names contain one
/// ("Korea, Republic of"): rejoin two pieces when together they are a state's name.
fn merge_split_names(parts: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        // Try the joined form first: "Palestine, State of" is one name although
        // "Palestine" alone is one too.
        if i + 1 < parts.len() {
            let joined = format!("{}, {}", parts[i], parts[i + 1]);
            if StateCode::from_name(&joined).is_some() {
                out.push(joined);
                i += 2;
                continue;
            }
        }
        out.push(parts[i].to_string());
        i += 1;
    }
    out
}

/// States whose names appear in a free-text victim description ("Political dissidents in Ghana").
fn states_named_in(text: &str) -> Vec<StateCode> {
    let mut out = Vec::new();
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).collect();
    for n in (1..=3).rev() {
        for w in words.windows(n) {
            let phrase = w.join(" ");
            // Single short words ("US", "in") are too ambiguous to read as states.
            if phrase.len() < 4 || !phrase.starts_with(|c: char| c.is_uppercase()) {
                continue;
            }
            if let Some(code) = StateCode::from_name(&phrase) && !out.contains(&code) {
                out.push(code);
            }
        }
    }
    out
}
