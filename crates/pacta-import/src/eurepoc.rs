//! EuRepoC (European Repository of Cyber Incidents), release 1.1 CSV format.
//!
//! A release is three files: the Global Database (one row per incident), the Attribution
//! data set (one row per attribution, linked by `incident_ID`) and the Receiver data set
//! (one row per target, linked by `ID`). Columns are found by header name.
//!
//! The expert legal columns (`state_responsibility_indicator`, `IL_breach_indicator*`,
//! `evidence_for_sanctions_indicator`, `legal_attribution_reference*`,
//! `legal_response_indicator`) become an [`ExternalAssessment`]. Invariant: this module
//! never lets those columns shape the incident's facts; the mapping of facts below reads
//! none of them.

use crate::pylist::{self, PyValue};
use crate::{Columns, ImportError, ReadReport, Row, RowProblem, is_unknown, measure_text, read_text, source_hash};
use pacta_core::incident::parse_date;
use pacta_core::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const EXPECTED: &str = "an EuRepoC release 1.1 CSV";
const GLOBAL_REQUIRED: &[&str] = &["ID", "name", "description", "start_date", "end_date", "incident_type", "receiver_country", "initiator_country", "initiator_category"];
const ATTRIBUTION_REQUIRED: &[&str] = &["incident_ID", "attribution_ID", "attribution_type", "attribution_basis", "attributing_country", "attributed_initiator_country"];
const RECEIVER_REQUIRED: &[&str] = &["ID", "receiver_country", "receiver_category"];

/// What reading a release produced.
#[derive(Debug, Default)]
pub struct EurepocRead {
    pub records: Vec<IncidentRecord>,
    pub report: ReadReport,
    pub attribution_rows: u64,
    pub receiver_rows: u64,
}

/// The three files of a release, found by the names EuRepoC gives them.
#[derive(Debug)]
pub struct ReleaseFiles {
    pub global: PathBuf,
    pub attribution: PathBuf,
    pub receiver: PathBuf,
}

pub fn find_files(dir: &Path) -> Result<ReleaseFiles, ImportError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ImportError::Io { path: dir.to_path_buf(), source })?;
    let (mut global, mut attribution, mut receiver) = (None, None, None);
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_lowercase();
        if !name.ends_with(".csv") {
            continue;
        }
        let slot = if name.contains("global_database") {
            &mut global
        } else if name.contains("attribution") {
            &mut attribution
        } else if name.contains("receiver") {
            &mut receiver
        } else {
            continue;
        };
        if let Some(other) = slot.replace(entry.path()) {
            return Err(ImportError::NotTheFormat {
                path: dir.to_path_buf(),
                expected: "an EuRepoC release directory",
                problem: format!("both {} and {} could be the same file of the release; leave one", file_name(&other), entry.file_name().to_string_lossy()),
            });
        }
    }
    let missing = |what: &str| ImportError::NotTheFormat {
        path: dir.to_path_buf(),
        expected: "an EuRepoC release directory",
        problem: format!("no {what} CSV (a file whose name contains \"{what}\") in it"),
    };
    Ok(ReleaseFiles {
        global: global.ok_or_else(|| missing("Global_Database"))?,
        attribution: attribution.ok_or_else(|| missing("Attribution"))?,
        receiver: receiver.ok_or_else(|| missing("Receiver"))?,
    })
}

/// Reads a release directory. Whole-file problems (missing file, missing columns, not
/// UTF-8) refuse everything; a bad row is reported and skipped.
pub fn read_dir(dir: &Path) -> Result<EurepocRead, ImportError> {
    let files = find_files(dir)?;
    let texts = [read_text(&files.global, EXPECTED)?, read_text(&files.attribution, EXPECTED)?, read_text(&files.receiver, EXPECTED)?];
    read_release(&files, &texts)
}

/// Reads a release from its three files' contents (`texts`: global, attribution,
/// receiver); `files` names them in reports. This is how a binary reads a bundled copy.
pub fn read_release(files: &ReleaseFiles, texts: &[String; 3]) -> Result<EurepocRead, ImportError> {
    let [global_text, attribution_text, receiver_text] = texts;
    let mut read = EurepocRead::default();
    // Check all three headers before mapping anything, so a wrong file refuses the import
    // as a whole rather than after half of it.
    let (global_cols, global_rows) = table(&files.global, global_text, GLOBAL_REQUIRED)?;
    let (attr_cols, attr_rows) = table(&files.attribution, attribution_text, ATTRIBUTION_REQUIRED)?;
    let (recv_cols, recv_rows) = table(&files.receiver, receiver_text, RECEIVER_REQUIRED)?;

    let global_name = file_name(&files.global);
    let attr_name = file_name(&files.attribution);

    // Receivers by incident id. A damaged row of a linked file refuses the import: it
    // cannot be tied to its incident for sure, and it may hide others (an unbalanced
    // quote swallows the rows after it), so importing the rest could silently take
    // targets or claims away from incidents that still have them.
    let damaged = |path: &Path, (line, reason): (u64, String)| ImportError::NotTheFormat {
        path: path.to_path_buf(),
        expected: EXPECTED,
        problem: format!("line {line} {reason}; a damaged row of a linked file may hide others, so nothing was imported"),
    };
    // A linked file with no rows at all is not a release's: every incident has an
    // attribution row, and nearly every one a receiver row.
    for (path, rows) in [(&files.attribution, &attr_rows), (&files.receiver, &recv_rows)] {
        if rows.is_empty() {
            return Err(ImportError::NotTheFormat { path: path.to_path_buf(), expected: EXPECTED, problem: "has a header but no rows; a release's linked files have rows for its incidents, so nothing was imported".into() });
        }
    }
    let mut receivers: HashMap<String, Vec<(Target, u64, String)>> = HashMap::new();
    // The countries each incident's receiver rows name, to check the rows are all there.
    let mut receiver_countries: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
    // A release repeats some receiver rows whole (release 1.1 does, for a few incidents):
    // a repeat names no other target, so it is read once, not as a second target.
    let mut seen_receiver_rows: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut last_receiver = None;
    for rec in recv_rows {
        let (line, record) = rec.map_err(|(line, reason, _)| damaged(&files.receiver, (line, reason)))?;
        read.receiver_rows += 1;
        let row = Row { cols: &recv_cols, record: &record };
        line_break_inside(&row).map_err(|reason| damaged(&files.receiver, (line, reason)))?;
        if !seen_receiver_rows.insert(row.canonical()) {
            continue;
        }
        let key = incident_key(row.get("ID"));
        receiver_countries.entry(key.clone()).or_default().insert(row.get("receiver_country").trim().to_string());
        last_receiver = Some(key.clone());
        receivers.entry(key).or_default().push((receiver_target(&row), line, row.canonical()));
    }
    let recv_name = file_name(&files.receiver);

    // Attribution rows by incident id.
    let mut attributions: HashMap<String, Vec<(u64, csv::StringRecord)>> = HashMap::new();
    // A release repeats an attribution_ID across rows that differ (one row per attributed
    // actor), never a row whole: a row repeated exactly was copied twice, and would
    // count one claim as two.
    let mut seen_rows: HashMap<String, u64> = HashMap::new();
    let mut last_attribution = None;
    for rec in attr_rows {
        let (line, record) = rec.map_err(|(line, reason, _)| damaged(&files.attribution, (line, reason)))?;
        read.attribution_rows += 1;
        let row = Row { cols: &attr_cols, record: &record };
        line_break_inside(&row).map_err(|reason| damaged(&files.attribution, (line, reason)))?;
        if let Some(first) = seen_rows.insert(row.canonical(), line) {
            return Err(damaged(&files.attribution, (line, format!("repeats line {first} exactly (attribution_ID {})", shorten(row.get("attribution_ID"))))));
        }
        let key = incident_key(row.get("incident_ID"));
        last_attribution = Some(key.clone());
        attributions.entry(key).or_default().push((line, record));
    }
    // Whether an incident was held back because a linked file has no row for it.
    let (mut attribution_cut, mut receiver_cut) = (false, false);
    let mut global_lines: HashMap<String, u64> = HashMap::new();

    let mut seen = std::collections::HashSet::new();
    for rec in global_rows {
        let (line, record) = match rec {
            Ok(r) => r,
            Err((line, reason, partial)) => {
                // The incident's linked rows are held back with it, not taken for orphans.
                if let Some(r) = &partial {
                    let key = incident_key(Row { cols: &global_cols, record: r }.get("ID"));
                    attributions.remove(&key);
                    receivers.remove(&key);
                }
                read.report.refused.push(RowProblem { file: global_name.clone(), line, reason });
                continue;
            }
        };
        read.report.rows_read += 1;
        let row = Row { cols: &global_cols, record: &record };
        let key = incident_key(row.get("ID"));
        if !seen.insert(key.clone()) {
            read.report.refused.push(RowProblem { file: global_name.clone(), line, reason: format!("ID {key} appears twice; the first row was kept") });
            continue;
        }
        global_lines.insert(key.clone(), line);
        let attr_rows = attributions.remove(&key).unwrap_or_default();
        // A release gives every incident at least one attribution row (an unattributed
        // incident has a row that says so), and every country an incident's row names as a
        // receiver a row of its own in the Receiver file. A row missing means a file cut
        // short, and an update would take the incident's claims away, or replace its
        // targets with the coarser ones of its own row: the incident is left as it was.
        let missing = if attr_rows.is_empty() {
            attribution_cut = true;
            Some(format!("has no row in {attr_name}, where every incident of a release has one"))
        } else {
            let have = receiver_countries.get(&key);
            list(&row, "receiver_country")
                .ok()
                .and_then(|named| named.flatten().into_iter().map(|c| c.trim().to_string()).find(|c| !c.is_empty() && !have.is_some_and(|h| h.contains(c))))
                .map(|c| {
                    receiver_cut = true;
                    format!("names the receiver {c}, which has no row in {recv_name}, where a release gives every receiver one")
                })
        };
        if let Some(missing) = missing {
            read.report.refused.push(RowProblem { file: global_name.clone(), line, reason: format!("ID {key} {missing}; the file looks incomplete, so the incident was left as it was") });
            receivers.remove(&key);
            continue;
        }
        let targets: Vec<(Target, String)> = receivers.remove(&key).unwrap_or_default().into_iter().map(|(t, _, raw)| (t, raw)).collect();
        match incident_record(&row, &key, targets, &attr_rows, &attr_cols) {
            Ok(r) => read.records.push(r),
            Err(reason) => read.report.refused.push(RowProblem { file: global_name.clone(), line, reason }),
        }
    }
    // A linked file cut short between two rows ends with the rows of one incident, and
    // may have lost the rest of that incident's: when the file lacks the rows of other
    // incidents, the one it ends with is held back too, rather than updated without a
    // claim or a target it still has.
    for (cut, last, name) in [(attribution_cut, &last_attribution, &attr_name), (receiver_cut, &last_receiver, &recv_name)] {
        let Some(last) = last.as_ref().filter(|_| cut) else { continue };
        let before = read.records.len();
        read.records.retain(|r| r.incident.origin.as_ref().is_none_or(|o| &o.record_id != last));
        if read.records.len() < before {
            let line = global_lines.get(last).copied().unwrap_or_default();
            read.report.refused.push(RowProblem { file: global_name.clone(), line, reason: format!("ID {last} has the last rows of {name}, which lacks the rows of other incidents; the file looks incomplete and may have lost some of this incident's rows, so the incident was left as it was") });
        }
    }
    // A linked row that points at no incident means the files are not of one release,
    // or a row was damaged (a stray quote makes the rows after it one long ID): either
    // way the incidents those rows belonged to would lose them, so nothing is imported.
    // An orphan's cause may be in the Global Database itself: a quoted field there that
    // does not close where a field ends reads the incidents after it into one field.
    // That is then named.
    let first_orphan = |path: &Path, lines: Vec<(u64, String)>| -> Result<(), ImportError> {
        let Some((line, key)) = lines.into_iter().min() else { return Ok(()) };
        Err(match crate::scan_quotes(global_text).first_fault() {
            Some(opened) => ImportError::NotTheFormat {
                path: files.global.clone(),
                expected: EXPECTED,
                problem: format!("line {opened} opens a quoted field that does not close where a field ends (an unbalanced quote): the incidents after it were read into that field, and their linked rows name incidents no longer found, so nothing was imported"),
            },
            None => damaged(path, (line, format!("names incident {} which is not in {global_name}", shorten(&key)))),
        })
    };
    first_orphan(&files.attribution, attributions.into_iter().flat_map(|(k, rows)| rows.into_iter().map(move |(l, _)| (l, k.clone()))).collect())?;
    first_orphan(&files.receiver, receivers.into_iter().flat_map(|(k, rows)| rows.into_iter().map(move |(_, l, _)| (l, k.clone()))).collect())?;
    Ok(read)
}

/// Each row read, or why it cannot be: its line, the reason, and what could be read of it
/// (a misaligned row still names its incident, in most cases correctly).
type Rows = Vec<Result<(u64, csv::StringRecord), (u64, String, Option<csv::StringRecord>)>>;

fn table(path: &Path, text: &str, required: &[&str]) -> Result<(Columns, Rows), ImportError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| ImportError::NotTheFormat { path: path.to_path_buf(), expected: EXPECTED, problem: e.to_string() })?.clone();
    let cols = Columns::new(&headers);
    cols.require(path, EXPECTED, required)?;
    let width = headers.len();
    let mut rows = Vec::new();
    let mut lines = crate::LineCounter::new(text);
    for rec in reader.records() {
        match rec {
            Ok(r) => {
                let line = lines.line(r.position());
                if r.len() != width {
                    rows.push(Err((line, format!("has {} fields where the header has {width}", r.len()), Some(r))));
                } else {
                    rows.push(Ok((line, r)));
                }
            }
            Err(e) => {
                let line = lines.line(e.position());
                rows.push(Err((line, format!("is not valid CSV: {e}"), None)));
            }
        }
    }
    Ok((cols, rows))
}

/// A linked file's fields hold no line break (a release writes none there).
fn line_break_inside(row: &Row) -> Result<(), String> {
    match row.line_break_outside(&[]) {
        Some((col, v)) => Err(format!("has a line break inside column {col} ({}): an unbalanced quote joined it to the rows after it", shorten(v))),
        None => Ok(()),
    }
}

/// A value short enough to quote in a message.
fn shorten(v: &str) -> String {
    const MAX: usize = 60;
    if v.chars().count() <= MAX { format!("{v:?}") } else { format!("{:?}…", v.chars().take(MAX).collect::<String>()) }
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// EuRepoC's ids, written several ways across its files, as one key.
fn incident_key(id: &str) -> String {
    Dataset::Eurepoc.record_key(id)
}

fn list(row: &Row, col: &str) -> Result<PyValue, String> {
    let cell = row.get(col);
    pylist::parse(cell).map_err(|e| format!("column {col}: {e} in {}", shorten(cell)))
}

fn incident_record(row: &Row, key: &str, targets: Vec<(Target, String)>, attr_rows: &[(u64, csv::StringRecord)], attr_cols: &Columns) -> Result<IncidentRecord, String> {
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("ID {:?} is not an EuRepoC incident number", row.get("ID")));
    }
    // PostgreSQL's text refuses NUL: refused here, by column, not by the database mid-import.
    if let Some(col) = row.nul_column() {
        return Err(format!("column {col} holds a NUL character"));
    }
    for (line, a) in attr_rows {
        if let Some(col) = (Row { cols: attr_cols, record: a }).nul_column() {
            return Err(format!("attribution row at line {line}: column {col} holds a NUL character"));
        }
    }
    if targets.iter().any(|(_, raw)| raw.contains('\0')) {
        return Err("one of its receiver rows holds a NUL character".into());
    }
    let mut incident = Incident::new(row.get("name"), Tlp::Clear);
    incident.origin = Some(Origin { dataset: Dataset::Eurepoc, record_id: key.to_string() });
    incident.description = row.get("description").to_string();
    incident.start_date = row.known("start_date").map(|d| parse_date("start_date", d)).transpose().map_err(|e| e.to_string())?;
    incident.end_date = row.known("end_date").map(|d| parse_date("end_date", d)).transpose().map_err(|e| e.to_string())?;
    if let (Some(s), Some(e)) = (incident.start_date, incident.end_date) {
        // The release has a handful of end dates before start dates; the start is the
        // better-sourced field, so keep it and drop the contradiction.
        if e < s {
            incident.end_date = None;
        }
    }
    incident.operation_types = operation_types(row.get("incident_type"));
    incident.targets = if targets.is_empty() { global_targets(row)? } else { targets.iter().map(|(t, _)| t.clone()).collect() };
    incident.alleged_actors = alleged_actors(row)?;
    incident.effects = effects(row)?;
    incident.context = context(row);
    incident.sources = list(row, "sources_url")?.flatten().into_iter().filter(|s| !s.trim().is_empty() && !is_unknown(s)).collect();

    let mut record = IncidentRecord::new(incident);
    for (line, a) in attr_rows {
        let arow = Row { cols: attr_cols, record: a };
        match attribution(&arow, record.incident.id) {
            Ok(Some((attr, parties))) => {
                record.attributions.push(attr);
                for p in parties {
                    if !record.parties.iter().any(|q| q.id == p.id) {
                        record.parties.push(p);
                    }
                }
            }
            Ok(None) => {}
            Err(reason) => return Err(format!("attribution row at line {line}: {reason}")),
        }
    }
    for (domain, prefix) in [(ResponseDomain::Political, "political_response"), (ResponseDomain::Legal, "legal_response")] {
        for (resp, party) in responses(row, record.incident.id, domain, prefix)? {
            if let Some(p) = party && !record.parties.iter().any(|q| q.id == p.id) {
                record.parties.push(p);
            }
            record.responses.push(resp);
        }
    }
    let external = external_assessment(row, record.incident.id);
    record.external = if external.is_empty() { None } else { Some(external) };

    // The incident's row, then its linked rows in content order: a file with its rows in
    // another order holds the same incident.
    let mut linked: Vec<String> = attr_rows.iter().map(|(_, a)| Row { cols: attr_cols, record: a }.canonical()).collect();
    linked.sort();
    let mut receiver_rows: Vec<&str> = targets.iter().map(|(_, raw)| raw.as_str()).collect();
    receiver_rows.sort();
    let global = row.canonical();
    record.source_hash = Some(source_hash(std::iter::once(global.as_str()).chain(linked.iter().map(String::as_str)).chain(std::iter::once("\u{1d}")).chain(receiver_rows)));
    record.validate().map_err(|e| e.to_string())?;
    Ok(record)
}

fn operation_types(cell: &str) -> Vec<OperationType> {
    let mut out = Vec::new();
    let mut add = |t| {
        if !out.contains(&t) {
            out.push(t)
        }
    };
    for part in cell.split("; ").map(str::trim).filter(|p| !is_unknown(p)) {
        let p = part.to_lowercase();
        if p.contains("ransomware") {
            add(OperationType::Ransomware);
        }
        if p.contains("data theft") {
            add(OperationType::Espionage);
        }
        if p.contains("doxing") {
            add(OperationType::Influence);
        }
        if p.contains("disruption") {
            add(OperationType::Disruption);
        }
        if p.contains("hijacking") {
            add(OperationType::Hijacking);
        }
        if p.contains("destruction") || p.contains("wiper") {
            add(OperationType::Destruction);
        }
    }
    out
}

/// Maps EuRepoC's receiver category and sub-code to the registry's sector taxonomy.
pub fn sector(category: &str, subcode: &str) -> Sector {
    let sub = subcode.to_lowercase();
    let cat = category.to_lowercase();
    if cat.starts_with("critical infrastructure") {
        return match sub.as_str() {
            "energy" => Sector::Energy,
            "water" => Sector::Water,
            "health" => Sector::Health,
            "finance" => Sector::Finance,
            "transportation" => Sector::Transport,
            "telecommunications" => Sector::Telecommunications,
            "food" => Sector::Food,
            "chemicals" => Sector::Chemicals,
            "defence industry" => Sector::DefenceIndustry,
            "space" => Sector::Space,
            s if s.contains("digital") => Sector::DigitalInfrastructure,
            s if s.contains("emergency") => Sector::EmergencyServices,
            _ => Sector::Other,
        };
    }
    if cat.starts_with("state institutions") {
        return match sub.as_str() {
            "military" => Sector::Military,
            "police" => Sector::Police,
            "legislative" => Sector::Legislature,
            "judiciary" => Sector::Judiciary,
            "political parties" => Sector::PoliticalParties,
            s if s.starts_with("election") => Sector::Elections,
            s if s.contains("embass") => Sector::DiplomaticMissions,
            _ => Sector::Government,
        };
    }
    match cat.as_str() {
        "media" => Sector::Media,
        "science" => Sector::Research,
        "social groups" => Sector::CivilSociety,
        c if c.starts_with("end user") => Sector::Individuals,
        c if c.starts_with("international") => Sector::InternationalOrganisation,
        c if c.starts_with("corporate") => Sector::Corporate,
        "other" => Sector::Other,
        _ => Sector::Unknown,
    }
}

fn target(country: &str, category: &str, subcode: &str, name: &str) -> Target {
    let state = StateCode::from_name(country);
    let place = if state.is_none() && !is_unknown(country) { Some(country.to_string()) } else { None };
    let entity = if is_unknown(name) { None } else { Some(name.to_string()) };
    Target { state, place, sector: sector(category, subcode), entity }
}

fn receiver_target(row: &Row) -> Target {
    let t = target(row.get("receiver_country"), row.get("receiver_category"), row.get("receiver_category_subcode"), row.get("receiver_name"));
    if t.state.is_none() && t.place.is_none() && t.entity.is_none() { Target { place: Some("Unknown".into()), ..t } } else { t }
}

/// Targets from the Global Database's own list columns, for releases or rows without
/// receiver rows: countries are a flat list, categories one inner list per country.
fn global_targets(row: &Row) -> Result<Vec<Target>, String> {
    let countries = list(row, "receiver_country")?.flatten();
    let categories = list(row, "receiver_category")?.groups();
    let names = list(row, "receiver_name")?.groups();
    let mut out = Vec::new();
    for (i, country) in countries.iter().enumerate() {
        let cats = categories.get(i).cloned().unwrap_or_default();
        let name = names.get(i).and_then(|n| n.first()).cloned().unwrap_or_default();
        for cat in if cats.is_empty() { vec![String::new()] } else { cats } {
            let t = target(country, &cat, "", &name);
            if t.state.is_some() || t.place.is_some() || t.entity.is_some() {
                out.push(t);
            }
        }
    }
    Ok(out)
}

fn actor_category(s: &str) -> ActorCategory {
    let s = s.to_lowercase();
    if s.starts_with("state") {
        ActorCategory::State
    } else if s.contains("state-affiliation") || s.contains("state affiliation") {
        ActorCategory::StateAffiliated
    } else if s.contains("individual") {
        ActorCategory::Individual
    } else if s.contains("criminal") {
        ActorCategory::Criminal
    } else if s.contains("non-state") {
        ActorCategory::NonStateGroup
    } else {
        ActorCategory::Unknown
    }
}

fn alleged_actors(row: &Row) -> Result<Vec<Actor>, String> {
    let names = list(row, "initiator_name")?.flatten();
    let countries = list(row, "initiator_country")?.flatten();
    let categories = list(row, "initiator_category")?.flatten();
    let subcats = list(row, "initiator_category_subcode").map(|v| v.flatten()).unwrap_or_default();
    let n = names.len().max(countries.len()).max(categories.len());
    let mut out = Vec::new();
    for i in 0..n {
        let name = names.get(i).filter(|s| !is_unknown(s)).cloned();
        // A name that is neither a state, nor a region, nor "unknown" is refused, as in a
        // claim: dropped, it would turn an actor of a state into an actor of no state.
        let state = match countries.get(i) {
            Some(c) if !is_unknown(c) => claim_country("initiator_country", c)?,
            _ => None,
        };
        let mut category = categories.get(i).map(|c| actor_category(c)).unwrap_or(ActorCategory::Unknown);
        if category == ActorCategory::NonStateGroup && subcats.get(i).is_some_and(|s| s.to_lowercase().contains("criminal")) {
            category = ActorCategory::Criminal;
        }
        if name.is_none() && state.is_none() && category == ActorCategory::Unknown {
            continue;
        }
        let actor = Actor { name, state, category };
        if !out.contains(&actor) {
            out.push(actor);
        }
    }
    Ok(out)
}

/// A count or amount as the release writes it ("3", "100000000.0"): a whole number from 0
/// to `max`. Anything else is refused, naming the column, rather than cut or dropped.
fn whole_number(row: &Row, col: &str, max: u64) -> Result<Option<u64>, String> {
    let Some(v) = row.known(col) else { return Ok(None) };
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= max as f64 => Ok(Some(x as u64)),
        _ => Err(format!("column {col}: {v:?} is not a whole number from 0 to {max}")),
    }
}

/// A date as the release writes it: "2022-06-23", or with a midnight time
/// ("2022-06-23 00:00:00", as pandas writes dates).
fn release_date(col: &str, v: &str) -> Result<chrono::NaiveDate, String> {
    let v = v.trim();
    let date = v.strip_suffix(" 00:00:00").unwrap_or(v);
    parse_date(col, date).map_err(|e| format!("column {e}"))
}

fn effects(row: &Row) -> Result<Effects, String> {
    let grade = |col: &str| row.known(col).map(|v| v.to_lowercase());
    let intelligence = grade("intelligence_impact");
    let doxing = row.get("incident_type").to_lowercase().contains("doxing");
    Ok(Effects {
        disruption: grade("disruption").map(|v| {
            if v.starts_with("none") {
                Disruption::None
            } else if v.starts_with("long") {
                Disruption::LongTerm
            } else {
                Disruption::ShortTerm
            }
        }),
        data_theft: grade("data_theft").map(|v| {
            if v.starts_with("none") {
                DataTheft::None
            } else if v.contains("non-sensitive") {
                DataTheft::NonSensitive
            } else {
                DataTheft::Sensitive
            }
        }),
        hijacking: grade("hijacking").map(|v| {
            if v.starts_with("none") {
                Hijacking::None
            } else if v.contains("not used") {
                Hijacking::WithoutMisuse
            } else {
                Hijacking::WithMisuse
            }
        }),
        physical: grade("physical_effects_spatial").map(|v| {
            if v.starts_with("none") {
                PhysicalEffects::None
            } else if v.starts_with("widespread") {
                PhysicalEffects::Widespread
            } else {
                PhysicalEffects::Local
            }
        }),
        physical_duration: grade("physical_effects_temporal").map(|v| {
            if v.starts_with("none") {
                EffectDuration::None
            } else if v.starts_with("long") {
                EffectDuration::Days
            } else {
                EffectDuration::Hours
            }
        }),
        disruption_duration: grade("functional_impact").and_then(|v| {
            if v.starts_with("no system") {
                Some(EffectDuration::None)
            } else if v.starts_with("day (") {
                Some(EffectDuration::Hours)
            } else if v.starts_with("days") {
                Some(EffectDuration::Days)
            } else if v.starts_with("weeks") {
                Some(EffectDuration::Weeks)
            } else if v.starts_with("months") {
                Some(EffectDuration::Months)
            } else {
                None
            }
        }),
        casualties: whole_number(row, "casualties", u32::MAX as u64)?.map(|n| n as u32),
        // EuRepoC writes 0.0 where the loss was not quantified.
        economic_loss_eur: whole_number(row, "economic_impact_exact_value", pacta_core::incident::MAX_ECONOMIC_LOSS_EUR)?.filter(|n| *n > 0),
        data_leaked: if doxing {
            Some(true)
        } else {
            intelligence.map(|v| v.contains("leaking of data") && !v.contains("no leaking") && !v.starts_with("no data breach"))
        },
        ..Effects::default()
    })
}

fn context(row: &Row) -> Context {
    let mut c = Context::default();
    c.conflict_intensity = row.known("offline_conflict_intensity_subcode").and_then(|v| v.trim_start_matches("HIIK").trim().parse::<u8>().ok()).filter(|v| (1..=5).contains(v));
    // HIIK 4 (limited war) and 5 (war) are armed conflicts; below that the record says
    // there is a conflict but not an armed one. No coding at all leaves it unknown.
    c.armed_conflict = c.conflict_intensity.map(|i| i >= 4);
    c.zero_day = match row.get("zero_days") {
        "Yes" => Some(true),
        "No" => Some(false),
        _ => None,
    };
    c
}

fn attribution_basis(kind: &str, basis: &str) -> AttributionBasis {
    let k = kind.to_lowercase();
    let b = basis.to_lowercase();
    if k.starts_with("self-attribution") || b.contains("attacker confirms") {
        AttributionBasis::SelfAttribution
    } else if k.contains("legal action") || k.contains("indictment") {
        AttributionBasis::LegalProceeding
    } else if k.starts_with("technical report") {
        AttributionBasis::TechnicalReport
    } else if k.starts_with("political statement") {
        AttributionBasis::PoliticalStatement
    } else if k.starts_with("anonymous statement") {
        // "Reuters cites unnamed officials": kept apart from reports whose source is named.
        AttributionBasis::AnonymousSource
    } else if k.contains("media report") {
        AttributionBasis::MediaReport
    } else {
        AttributionBasis::Other
    }
}

/// A country named in an attribution row: a state, or a region (EuRepoC writes "Middle
/// East (region)"), which no claim can hold responsible and is left out. Any other name
/// is refused: dropped, it would turn a claim against a state into a claim against no one.
fn claim_country(col: &str, name: &str) -> Result<Option<StateCode>, String> {
    if let Some(code) = StateCode::from_name(name) {
        return Ok(Some(code));
    }
    // EuRepoC marks most regions "(region)"; a few continents it names bare.
    const CONTINENTS: &[&str] = &["africa", "asia", "europe", "north america", "south america", "central america", "latin america", "oceania", "middle east", "caribbean"];
    if name.ends_with("(region)") || CONTINENTS.contains(&name.trim().to_lowercase().as_str()) {
        return Ok(None);
    }
    Err(format!("column {col}: {} is not a state the registry knows (nor a region)", shorten(name)))
}

/// One EuRepoC attribution row as a claim. A row that names no actor at all is not a
/// claim (EuRepoC codes "not attributed" this way) and yields `None`.
fn attribution(row: &Row, incident: IncidentId) -> Result<Option<(Attribution, Vec<Party>)>, String> {
    let mut parties = Vec::new();
    let mut attributors = Vec::new();
    for name in row.get("attributing_country").split("; ").map(str::trim).filter(|s| !is_unknown(s)) {
        if let Some(code) = claim_country("attributing_country", name)? {
            let p = Party::state(code);
            if !attributors.contains(&p.id) {
                attributors.push(p.id.clone());
                parties.push(p);
            }
        }
    }
    let mut labels: Vec<String> = Vec::new();
    for col in ["attributing_actor", "attribution_it_company"] {
        for v in row.get(col).split("; ").map(str::trim).filter(|s| !is_unknown(s)) {
            if !labels.iter().any(|l| l == v) {
                labels.push(v.to_string());
            }
        }
    }
    let basis_text = row.get("attribution_basis");
    if !is_unknown(basis_text) && !labels.iter().any(|l| l == basis_text) {
        labels.push(basis_text.to_string());
    }
    let actor_name = row.known("attributed_initiator").map(str::to_string);
    let mut actor_state = None;
    for name in row.get("attributed_initiator_country").split("; ").map(str::trim).filter(|s| !is_unknown(s)) {
        let code = claim_country("attributed_initiator_country", name)?;
        actor_state = actor_state.or(code);
    }
    let actor_category = row.known("attributed_initiator_category").map(actor_category).unwrap_or(ActorCategory::Unknown);
    if actor_name.is_none() && actor_state.is_none() && actor_category == ActorCategory::Unknown {
        return Ok(None);
    }
    // A row whose basis is "Contested attribution" records that an attribution is
    // disputed; it is not one more source making it. Read as a claim, it made a single
    // government's word look corroborated (Estonia 2007 counted two sources). It is not
    // a claim; the incident's alleged actors keep the allegation.
    if basis_text.trim().eq_ignore_ascii_case("contested attribution") {
        return Ok(None);
    }
    let date = row.known("attribution_date").map(|d| release_date("attribution_date", d)).transpose()?;
    let label = if labels.is_empty() { None } else { Some(labels.join("; ").chars().take(300).collect()) };
    Ok(Some((
        Attribution {
            id: AttributionId::new(),
            incident,
            attributors,
            attributor_label: label,
            actor_name,
            actor_state,
            actor_category,
            basis: attribution_basis(row.get("attribution_type"), basis_text),
            confidence: None,
            visibility: Visibility::Public,
            date,
            origin_ref: row.known("attribution_ID").map(|s| s.trim_end_matches(".0").to_string()),
        },
        parties,
    )))
}

/// Observed responses. EuRepoC joins several responses with "; " in parallel columns;
/// when the columns line up they are zipped, otherwise each type keeps the whole context.
fn responses(row: &Row, incident: IncidentId, domain: ResponseDomain, prefix: &str) -> Result<Vec<(Response, Option<Party>)>, String> {
    let split = |col: &str| -> Vec<String> { row.get(&format!("{prefix}_{col}")).split("; ").map(str::trim).map(str::to_string).collect() };
    let types: Vec<String> = split("type").into_iter().filter(|t| !is_unknown(t)).collect();
    let subtypes = split("type_subcode");
    let countries = split("country");
    let actors = split("actor");
    let dates = split("date");
    let aligned = |v: &Vec<String>, i: usize| if v.len() == types.len() { v.get(i).cloned() } else { v.first().cloned() };
    let mut out = Vec::new();
    for (i, t) in types.iter().enumerate() {
        let country = aligned(&countries, i).filter(|c| !is_unknown(c));
        let party = country.as_deref().and_then(StateCode::from_name).map(Party::state);
        let actor = aligned(&actors, i).filter(|a| !is_unknown(a));
        let subtype = aligned(&subtypes, i).filter(|s| !is_unknown(s));
        let measure = match subtype {
            Some(s) => format!("{t}: {s}"),
            None => t.clone(),
        };
        let responder_label = actor.or(country).or_else(|| Some(t.split(':').next().unwrap_or("unknown").trim().to_string()));
        let (measure, whole) = measure_text(&measure);
        out.push((
            Response {
                id: ResponseId::new(),
                incident,
                responder: party.as_ref().map(|p| p.id.clone()),
                responder_label,
                status: ResponseStatus::Observed,
                domain,
                measure,
                date: aligned(&dates, i).filter(|d| !is_unknown(d)).map(|d| release_date(&format!("{prefix}_date"), &d)).transpose()?,
                description: whole,
            },
            party,
        ));
    }
    Ok(out)
}

/// A "; "-joined cell as its values. Cells of empty sub-codes come out as bare separators
/// (";"), which are not values.
fn multi(row: &Row, col: &str) -> Vec<String> {
    row.get(col)
        .split(';')
        .map(str::trim)
        .filter(|s| !is_unknown(s) && s.chars().any(char::is_alphanumeric))
        .map(str::to_string)
        .collect()
}

/// EuRepoC's expert legal coding, kept as another coder's conclusions.
fn external_assessment(row: &Row, incident: IncidentId) -> ExternalAssessment {
    let sr = row.known("state_responsibility_indicator").map(|v| v.to_lowercase()).and_then(|v| {
        if v.starts_with("direct") {
            Some(StateResponsibilityIndicator::Direct)
        } else if v.starts_with("indirect") {
            Some(StateResponsibilityIndicator::Indirect)
        } else if v.starts_with("none") {
            Some(StateResponsibilityIndicator::NoneOrNegligent)
        } else {
            None
        }
    });
    let lr = row.known("legal_response_indicator").map(|v| v.to_lowercase()).and_then(|v| {
        if v.starts_with("countermeasures") {
            Some(LegalResponseIndicator::CountermeasuresJustified)
        } else if v.starts_with("unfriendly") || v.contains("retorsion") {
            Some(LegalResponseIndicator::RetorsionJustified)
        } else if v.starts_with("no response") {
            Some(LegalResponseIndicator::NoResponseJustified)
        } else {
            None
        }
    });
    ExternalAssessment {
        incident: Some(incident),
        source: Some(Dataset::Eurepoc),
        state_responsibility: sr,
        il_breach: multi(row, "IL_breach_indicator"),
        il_breach_subcode: multi(row, "IL_breach_indicator_subcode"),
        evidence_for_sanctions: row.known("evidence_for_sanctions_indicator").map(str::to_string),
        legal_attribution_reference: multi(row, "legal_attribution_reference"),
        legal_attribution_reference_subcode: multi(row, "legal_attribution_reference_subcode"),
        legal_response: lr,
    }
}
