//! The importers' readers on the bundled real data and on broken variants of it.

use pacta_core::{AttributionBasis, Dataset, OperationType, Sector, StateCode};
use pacta_import::{cfr, eurepoc};
use std::path::{Path, PathBuf};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pacta-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_eurepoc_sample_reads_as_820_incidents_with_their_attributions_and_receivers() {
    let read = eurepoc::read_dir(&data("eurepoc-1.1-even")).unwrap();
    assert_eq!(read.records.len(), 820, "refused: {:?}", read.report.refused);
    assert!(read.report.refused.is_empty(), "{:?}", read.report.refused);
    assert_eq!(read.attribution_rows, 1223);
    assert_eq!(read.receiver_rows, 3447);
    let first = read.records.iter().find(|r| r.incident.origin.as_ref().unwrap().record_id == "2").unwrap();
    assert_eq!(first.incident.origin.as_ref().unwrap().dataset, Dataset::Eurepoc);
    assert_eq!(first.incident.target_states(), vec![StateCode::parse("s", "AM").unwrap()]);
    assert!(first.incident.operation_types.contains(&OperationType::Disruption));
    assert!(first.incident.targets.iter().any(|t| t.sector == Sector::Government || t.sector == Sector::Media));
    let with_external = read.records.iter().filter(|r| r.external.is_some()).count();
    assert!((90..=130).contains(&with_external), "about 100 incidents carry expert coding, got {with_external}");
    // Claims relayed from unnamed officials keep that basis: they are weighed differently.
    let claims = || read.records.iter().flat_map(|r| r.attributions.iter());
    assert!(claims().any(|a| a.basis == AttributionBasis::AnonymousSource));
    assert!(claims().any(|a| a.basis == AttributionBasis::MediaReport));
    // Estonia 2007: Estonia's own attribution to Russia, and a row saying it is contested.
    // The second is not a second source.
    let estonia = read.records.iter().find(|r| r.incident.origin.as_ref().unwrap().record_id == "56").unwrap();
    let against_russia: Vec<_> = estonia.attributions.iter().filter(|a| a.actor_state == Some(StateCode::parse("s", "RU").unwrap())).collect();
    assert_eq!(against_russia.len(), 1, "{against_russia:?}");
    assert!(!claims().any(|a| a.attributor_label.as_deref().is_some_and(|l| l.contains("Contested attribution"))));
}

#[test]
fn reordered_and_extra_columns_import_just_as_well() {
    let dir = scratch("reordered");
    for entry in std::fs::read_dir(data("eurepoc-1.1-even")).unwrap() {
        let path = entry.unwrap().path();
        let mut rdr = csv::Reader::from_path(&path).unwrap();
        let headers = rdr.headers().unwrap().clone();
        // Reverse the columns and add one the importer has never heard of.
        let mut w = csv::Writer::from_path(dir.join(path.file_name().unwrap())).unwrap();
        let mut h: Vec<&str> = headers.iter().rev().collect();
        h.push("extra_column");
        w.write_record(&h).unwrap();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let mut r: Vec<&str> = rec.iter().rev().collect();
            r.push("noise");
            w.write_record(&r).unwrap();
        }
        w.flush().unwrap();
    }
    let original = eurepoc::read_dir(&data("eurepoc-1.1-even")).unwrap();
    let shuffled = eurepoc::read_dir(&dir).unwrap();
    assert_eq!(shuffled.records.len(), 820);
    let strip = |r: &pacta_core::IncidentRecord| (r.incident.title.clone(), r.incident.targets.clone(), r.attributions.len(), r.incident.effects.clone());
    assert_eq!(original.records.iter().map(strip).collect::<Vec<_>>(), shuffled.records.iter().map(strip).collect::<Vec<_>>());
}

#[test]
fn a_directory_that_is_not_a_release_is_refused_before_anything_is_read() {
    let dir = scratch("notarelease");
    std::fs::write(dir.join("EuRepoC_Global_Database_1.1.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(dir.join("EuRepoC_Attribution_dataset_1.1.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(dir.join("EuRepoC_Receiver_dataset_1.1.csv"), "a,b\n1,2\n").unwrap();
    let err = eurepoc::read_dir(&dir).unwrap_err().to_string();
    assert!(err.contains("is not an EuRepoC release 1.1 CSV") && err.contains("missing column(s) ID, name"), "{err}");
    let err = eurepoc::read_dir(&scratch("empty")).unwrap_err().to_string();
    assert!(err.contains("Global_Database"), "{err}");
}

#[test]
fn the_cfr_sample_reads_all_60_rows() {
    let read = cfr::read_file(&data("cfr-sample/cyber-operations-incidents.sample.csv")).unwrap();
    assert_eq!(read.records.len(), 60, "refused: {:?}", read.report.refused);
    let ghana = &read.records[0];
    assert_eq!(ghana.incident.alleged_states(), vec![StateCode::parse("s", "GH").unwrap()]);
    assert_eq!(ghana.incident.target_states(), vec![StateCode::parse("s", "GH").unwrap()]);
    let joint = read.records.iter().find(|r| r.incident.alleged_states().len() == 2).expect("the sample has a Belarus and Russia row");
    let codes: Vec<String> = joint.incident.alleged_states().iter().map(|s| s.to_string()).collect();
    assert_eq!(codes, vec!["BY", "RU"]);
}

#[test]
fn a_broken_cfr_export_keeps_every_good_row_and_names_every_bad_one() {
    let text = std::fs::read_to_string(data("cfr-sample/cyber-operations-incidents.sample.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let dir = scratch("cfr");
    let path = dir.join("broken.csv");
    let body = format!(
        "{header}\n\
         Operation with no date,,Someone,Spied on people,,Diplomats in France,China,Espionage,Government,,,\n\
         Operation with no type,3/4/2020,Someone,Did something,,Ministries in Germany,Russian Federation,,Government,,,\n\
         Misaligned row,3/4/2020,only four fields\n\
         Bad date,31/31/2020,Someone,Did something,,Germany,Russia,Espionage,Government,,,\n\
         Bad type,3/4/2020,Someone,Did something,,Germany,Russia,Hugging,Government,,,\n\
         Good row,5/6/2021,APT,Stole data,Denouncement   https://example.org,Energy firms in Poland,Russian Federation,Espionage,Private sector,https://example.org/a,,\n"
    );
    std::fs::write(&path, &body).unwrap();
    let read = cfr::read_file(&path).unwrap();
    let titles: Vec<&str> = read.records.iter().map(|r| r.incident.title.as_str()).collect();
    assert_eq!(titles, vec!["Operation with no date", "Operation with no type", "Good row"]);
    let refused: Vec<String> = read.report.refused.iter().map(|p| p.to_string()).collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(refused[0].starts_with("broken.csv:4: is misaligned"), "{refused:?}");
    assert!(refused[1].starts_with("broken.csv:5: Date \"31/31/2020\""), "{refused:?}");
    assert!(refused[2].starts_with("broken.csv:6: Type \"Hugging\""), "{refused:?}");
    assert_eq!(read.records[2].responses.len(), 1);
    // Saved with CRLF line ends, the same lines are named (the CSV reader's own count
    // was one short).
    std::fs::write(&path, body.replace('\n', "\r\n")).unwrap();
    let crlf: Vec<String> = cfr::read_file(&path).unwrap().report.refused.iter().map(|p| p.to_string()).collect();
    assert_eq!(crlf, refused);
}

#[test]
fn a_file_that_is_not_a_cfr_export_is_refused_whole() {
    let dir = scratch("notcfr");
    let path = dir.join("x.csv");
    std::fs::write(&path, "name,age\nalice,3\n").unwrap();
    let err = cfr::read_file(&path).unwrap_err().to_string();
    assert!(err.contains("is not a CFR Cyber Operations Tracker CSV export") && err.contains("missing column(s) Title, Date"), "{err}");
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    assert!(cfr::read_file(&path).unwrap_err().to_string().contains("not UTF-8"));
}

/// A copy of the bundled release whose files `edit` may change: (file name, contents).
fn edited_release(name: &str, edit: impl Fn(&str, String) -> String) -> PathBuf {
    let dir = scratch(name);
    for entry in std::fs::read_dir(data("eurepoc-1.1-even")).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file.ends_with(".csv") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(dir.join(&file), edit(&file, text)).unwrap();
    }
    dir
}

/// The lines of a CSV text that hold no quoted line break (safe to cut at).
fn cut_after_rows(text: &str, keep: usize) -> String {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let end = rdr.records().nth(keep).unwrap().unwrap().position().unwrap().byte() as usize;
    text[..end].to_string()
}

#[test]
fn a_cut_short_attribution_file_holds_back_the_incidents_it_no_longer_covers() {
    // Half the Attribution file, cut cleanly between rows: the incidents past the cut
    // must not be imported without their claims, which would take stored claims away.
    let dir = edited_release("cut-attributions", |file, text| if file.contains("Attribution") { cut_after_rows(&text, 600) } else { text });
    let read = eurepoc::read_dir(&dir).unwrap();
    let held_back: Vec<_> = read.report.refused.iter().filter(|p| p.reason.contains("looks incomplete")).collect();
    assert!(held_back.len() > 300, "the incidents past the cut are held back, got {}", held_back.len());
    assert!(read.records.iter().all(|r| !r.attributions.is_empty() || r.incident.origin.is_some()), "no record is read without its rows");
    assert_eq!(read.records.len() + held_back.len(), 820);
}

#[test]
fn a_cut_short_receiver_file_holds_back_the_incidents_whose_receivers_it_lost() {
    // Only the header left: not a release's file at all, so nothing is read (an incident
    // whose own row names no receiver would otherwise be updated without its targets).
    let dir = edited_release("no-receivers", |file, text| if file.contains("Receiver") { text.lines().next().unwrap().to_string() + "\n" } else { text });
    let err = eurepoc::read_dir(&dir).unwrap_err().to_string();
    assert!(err.contains("Receiver") && err.contains("has a header but no rows") && err.contains("nothing was imported"), "{err}");
    // Half the rows: an incident whose receivers have no row must not be updated with the
    // coarser targets of its own row (it would lose them).
    let dir = edited_release("cut-receivers", |file, text| if file.contains("Receiver") { cut_after_rows(&text, 1200) } else { text });
    let read = eurepoc::read_dir(&dir).unwrap();
    let held_back = read.report.refused.iter().filter(|p| p.reason.contains("looks incomplete")).count();
    assert!(held_back > 200, "the incidents past the cut are held back, got {held_back}");
    assert_eq!(read.records.len() + held_back, 820);
    // The whole release reads whole.
    assert_eq!(eurepoc::read_dir(&data("eurepoc-1.1-even")).unwrap().records.len(), 820);
}

#[test]
fn a_claim_against_a_country_the_registry_does_not_know_is_refused_not_dropped() {
    // Dropped, the name would turn a claim against a state into a claim against no one.
    let dir = edited_release("narnia", |file, text| if file.contains("Attribution") { text.replacen(",Azerbaijan,", ",Narnia,", 1) } else { text });
    let read = eurepoc::read_dir(&dir).unwrap();
    let why: Vec<String> = read.report.refused.iter().map(|p| p.to_string()).collect();
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].contains("attributed_initiator_country") && why[0].contains("Narnia"), "{why:?}");
    assert_eq!(read.records.len(), 819);
}

#[test]
fn an_alleged_actor_of_a_country_the_registry_does_not_know_is_refused_not_dropped() {
    // Dropped, the name would make an actor of a state an actor of no state.
    let dir = edited_release("atlantis", |file, text| if file.contains("Global") { text.replacen("['Azerbaijan']", "['Atlantis']", 1) } else { text });
    let read = eurepoc::read_dir(&dir).unwrap();
    let why: Vec<String> = read.report.refused.iter().map(|p| p.to_string()).collect();
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].contains("initiator_country") && why[0].contains("Atlantis"), "{why:?}");
    assert_eq!(read.records.len(), 819);
}

#[test]
fn an_attribution_row_copied_twice_refuses_the_import() {
    // One claim would count as two.
    let dir = edited_release("twice", |file, text| {
        if !file.contains("Attribution") {
            return text;
        }
        let second = text.lines().nth(1).unwrap().to_string();
        format!("{}{second}\n", if text.ends_with('\n') { text.clone() } else { format!("{text}\n") })
    });
    let err = eurepoc::read_dir(&dir).unwrap_err().to_string();
    assert!(err.contains("Attribution") && err.contains("repeats line 2 exactly") && err.contains("nothing was imported"), "{err}");
}

#[test]
fn a_damaged_row_in_a_linked_file_refuses_the_import_naming_its_line() {
    // One stray quote in the Receiver file swallows the rows after it into one field.
    let dir = edited_release("stray-quote", |file, text| {
        if !file.contains("Receiver") {
            return text;
        }
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[4] = format!("\"{}", lines[4]);
        lines.join("\n")
    });
    let err = eurepoc::read_dir(&dir).unwrap_err().to_string();
    assert!(err.contains("Receiver") && err.contains("line 5") && err.contains("nothing was imported"), "{err}");
    assert!(err.len() < 500, "the message quotes the damaged value shortly: {err}");
}

#[test]
fn numbers_dates_ids_and_lists_that_cannot_be_meant_are_refused_by_column() {
    let global = |text: String, id: &str, col: &str, value: &str| -> String {
        // Sets one cell of the row whose ID is `id`, through the csv crate so quoting holds.
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let headers = rdr.headers().unwrap().clone();
        let at = headers.iter().position(|h| h == col).unwrap();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&headers).unwrap();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let mut cells: Vec<String> = rec.iter().map(str::to_string).collect();
            if cells[0] == id && col == "ID" {
                // A second row for the same incident, its number written another way.
                w.write_record(&cells).unwrap();
                cells[at] = value.to_string();
            } else if cells[0] == id {
                cells[at] = value.to_string();
            }
            w.write_record(&cells).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    };
    let dir = edited_release("bad-cells", |file, text| {
        if !file.contains("Global") {
            return text;
        }
        let text = global(text, "2", "economic_impact_exact_value", "1e300");
        let text = global(text, "4", "casualties", "-5");
        let text = global(text, "6", "start_date", "20-01-13");
        let text = global(text, "14", "initiator_name", "Group\0Name");
        let text = global(text, "8", "initiator_country", &"[".repeat(50_000));
        let text = global(text, "16", "sources_url", "['https://example.org/a', 'https://exa");
        global(text, "10", "ID", "010")
    });
    let read = eurepoc::read_dir(&dir).unwrap();
    let reason = |needle: &str| read.report.refused.iter().find(|p| p.reason.contains(needle)).map(|p| p.reason.clone());
    assert!(reason("economic_impact_exact_value").is_some_and(|r| r.contains("1e300")), "{:?}", read.report.refused);
    assert!(reason("casualties").is_some_and(|r| r.contains("-5")), "{:?}", read.report.refused);
    assert!(reason("four-digit year").is_some_and(|r| r.contains("20-01-13")), "{:?}", read.report.refused);
    assert!(reason("nest more than").is_some_and(|r| r.contains("initiator_country") && r.contains("\"[[[[") && r.len() < 300), "{:?}", read.report.refused);
    // The refusal quotes the cell, so the operator can find it in the file.
    assert!(reason("string is not closed").is_some_and(|r| r.contains("sources_url") && r.contains("https://exa")), "{:?}", read.report.refused);
    assert!(reason("NUL").is_some_and(|r| r.contains("initiator_name")), "{:?}", read.report.refused);
    // "010" is incident 10 written another way: the second row with that number is refused.
    assert!(reason("ID 10 appears twice").is_some(), "{:?}", read.report.refused);
    assert_eq!(read.records.len(), 814);
}

#[test]
fn response_dates_written_with_a_midnight_time_are_read() {
    // The release writes response dates as pandas does ("2022-06-23 00:00:00", "NaT").
    let read = eurepoc::read_dir(&data("eurepoc-1.1-even")).unwrap();
    let dated = read.records.iter().flat_map(|r| r.responses.iter()).filter(|r| r.date.is_some()).count();
    assert!(dated >= 50, "responses with a date: {dated}");
}

#[test]
fn two_files_that_could_be_the_same_part_of_a_release_are_refused() {
    let dir = edited_release("two-globals", |_, text| text);
    std::fs::copy(dir.join("EuRepoC_Global_Database_1.1.csv"), dir.join("EuRepoC_Global_Database_1.1 (old).csv")).unwrap();
    let err = eurepoc::read_dir(&dir).unwrap_err().to_string();
    assert!(err.contains("(old).csv") && err.contains("leave one"), "{err}");
}

#[test]
fn a_release_saved_again_with_its_columns_rows_and_line_endings_shuffled_is_the_same_data() {
    // A re-import compares source hashes: a file re-saved by a spreadsheet (columns moved,
    // rows sorted otherwise, CRLF line endings, padded cells) must not read as changed.
    let dir = scratch("resaved");
    for entry in std::fs::read_dir(data("eurepoc-1.1-even")).unwrap() {
        let path = entry.unwrap().path();
        let mut rdr = csv::Reader::from_path(&path).unwrap();
        let headers = rdr.headers().unwrap().clone();
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_path(dir.join(path.file_name().unwrap())).unwrap();
        w.write_record(headers.iter().rev()).unwrap();
        let mut rows: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().rev().map(|c| format!(" {c}")).collect()).collect();
        rows.reverse();
        for r in rows {
            w.write_record(&r).unwrap();
        }
        w.flush().unwrap();
    }
    let hashes = |dir: &Path| -> std::collections::BTreeMap<String, Option<String>> {
        eurepoc::read_dir(dir).unwrap().records.into_iter().map(|r| (r.incident.origin.unwrap().record_id, r.source_hash)).collect()
    };
    let original = hashes(&data("eurepoc-1.1-even"));
    assert_eq!(original.len(), 820);
    assert_eq!(hashes(&dir), original);
}

#[test]
fn a_response_longer_than_a_measure_keeps_its_whole_text() {
    // The registry's measure holds 300 bytes; the rest of a longer text goes to the
    // response's description instead of being cut off.
    let long = format!("Sanctions {}", "on named officers and entities, ".repeat(15));
    let path = data("cfr-sample/cyber-operations-incidents.sample.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let at = headers.iter().position(|h| h == "Response").unwrap();
    let dir = scratch("cfr-long-response");
    let out = dir.join("cfr.csv");
    let mut w = csv::Writer::from_path(&out).unwrap();
    w.write_record(&headers).unwrap();
    for (n, rec) in rdr.records().enumerate() {
        let mut cells: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
        if n == 0 {
            cells[at] = format!("{long}  https://example.org/sanctions");
        }
        w.write_record(&cells).unwrap();
    }
    w.flush().unwrap();
    let read = cfr::read_file(&out).unwrap();
    let response = &read.records[0].responses[0];
    assert!(response.measure.len() <= 300 && response.measure.ends_with('…'), "{}", response.measure);
    let description = response.description.as_deref().unwrap();
    assert!(description.contains(long.trim()) && description.contains("https://example.org/sanctions"), "{description}");
}

#[test]
fn a_global_file_cut_off_mid_row_refuses_that_row_and_holds_back_its_claims_with_it() {
    // The last row of the Global Database loses its end: that incident is refused, its
    // attribution rows go with it (they are not orphans), and the rest is read.
    let dir = edited_release("cut-global", |file, text| {
        if !file.contains("Global") {
            return text;
        }
        let kept = cut_after_rows(&text, 819);
        let last_row_start = &text[kept.len()..];
        format!("{kept}{}", &last_row_start[..last_row_start.find(',').unwrap() + 12])
    });
    let read = eurepoc::read_dir(&dir).unwrap();
    assert_eq!(read.records.len(), 819, "{:?}", read.report.refused);
    assert_eq!(read.report.refused.len(), 1, "{:?}", read.report.refused);
    assert!(read.report.refused[0].reason.contains("fields where the header has"), "{:?}", read.report.refused);
}

/// The index of the first row, after `from`, that is the last of an incident's (its id
/// in column `id`) and agrees with the row before it in the id and in column `same`.
fn second_row_of_an_incident(text: &str, id: &str, same: &str, from: usize) -> (usize, String) {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, same) = (col(id), col(same));
    let rows: Vec<(String, String)> = rdr.records().map(|r| r.unwrap()).map(|r| (r[id].to_string(), r[same].to_string())).collect();
    (from..rows.len() - 1).find(|&i| rows[i] == rows[i - 1] && rows[i + 1].0 != rows[i].0).map(|i| (i, rows[i].0.clone())).unwrap()
}

#[test]
fn a_linked_file_cut_between_two_rows_of_one_incident_holds_that_incident_back_too() {
    // Cut after the first of an incident's rows: the incidents past the cut are held back
    // as before, and the incident the file now ends with is held back with them, rather
    // than updated without the rows it lost.
    // (Two receiver rows of one country: the check that every country named has a row
    // cannot see the second one go.)
    for (part, id, same) in [("Receiver", "ID", "receiver_country"), ("Attribution", "incident_ID", "incident_ID")] {
        let original = std::fs::read_dir(data("eurepoc-1.1-even")).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_string_lossy().contains(part)).unwrap();
        let (keep, cut_incident) = second_row_of_an_incident(&std::fs::read_to_string(&original).unwrap(), id, same, 500);
        let dir = edited_release(&format!("cut-within-{part}"), |file, text| if file.contains(part) { cut_after_rows(&text, keep) } else { text });
        let read = eurepoc::read_dir(&dir).unwrap();
        let key = Dataset::Eurepoc.record_key(&cut_incident);
        assert!(read.records.iter().all(|r| r.incident.origin.as_ref().unwrap().record_id != key), "{part}: incident {key} was read without its lost rows");
        let why = read.report.refused.iter().find(|p| p.reason.contains(&format!("ID {key} has the last rows of"))).unwrap_or_else(|| panic!("{part} {key} keep {keep}: {:?}", read.report.refused.iter().filter(|p| p.reason.contains(&format!("ID {key} "))).collect::<Vec<_>>()));
        assert!(why.reason.contains(part) && why.reason.contains("left as it was"), "{why}");
        assert_eq!(read.records.len() + read.report.refused.len(), 820, "{part}");
    }
}

#[test]
fn a_stray_quote_that_joins_linked_rows_refuses_the_import_even_when_the_fields_still_count_right() {
    // A quote opening a field of line 16 runs on into line 17: the joined row can still
    // have as many fields as the header, but a field now holds a line break.
    let dir = edited_release("joined-attribution", |file, text| {
        if !file.contains("Attribution") {
            return text;
        }
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let fields: Vec<&str> = lines[15].splitn(4, ',').collect();
        lines[15] = format!("{},{},\"{}", fields[0], fields[1], fields[2..].join(","));
        lines.join("\n") + "\n"
    });
    let err = eurepoc::read_dir(&dir).unwrap_err().to_string();
    assert!(err.contains("Attribution") && err.contains("line 16") && err.contains("nothing was imported"), "{err}");
}

#[test]
fn a_receiver_row_repeated_whole_is_one_target_not_two() {
    // Release 1.1 itself repeats some receiver rows; a copy names no other target.
    let read = |dir: &Path| eurepoc::read_dir(dir).unwrap().records.into_iter().map(|r| (r.incident.origin.clone().unwrap().record_id, r.incident.targets)).collect::<std::collections::BTreeMap<_, _>>();
    let whole = read(&data("eurepoc-1.1-even"));
    let dir = edited_release("receiver-twice", |file, text| {
        if !file.contains("Receiver") {
            return text;
        }
        let mut lines: Vec<&str> = text.lines().collect();
        lines.insert(5, lines[4]);
        lines.join("\n") + "\n"
    });
    assert_eq!(read(&dir), whole);
}

#[test]
fn a_stray_quote_in_a_cfr_row_refuses_the_rows_it_joined_and_keeps_every_other() {
    // A quote before line 8's Affiliations runs on to the next quote, rows later; the
    // joined row may still count its fields right, and would be read as a row holding the
    // next rows' text while the rows it swallowed vanished.
    let text = std::fs::read_to_string(data("cfr-sample/cyber-operations-incidents.sample.csv")).unwrap();
    let original = cfr::read_file(&data("cfr-sample/cyber-operations-incidents.sample.csv")).unwrap();
    let dir = scratch("cfr-stray-quote");
    let mut refused_somewhere = 0;
    // Every line that opens a row, quoted before its third field in turn.
    for (n, line) in text.lines().enumerate().skip(1) {
        let Some((title, rest)) = line.split_once(',') else { continue };
        let Some((date, rest)) = rest.split_once(',') else { continue };
        if title.starts_with('"') || rest.starts_with('"') || date.is_empty() || !date.contains('/') {
            continue;
        }
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[n] = format!("{title},{date},\"{rest}");
        let path = dir.join(format!("quote-{n}.csv"));
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let Ok(read) = cfr::read_file(&path) else { continue };
        // Nothing read may differ from the original's row of the same title: a row that
        // swallowed others is refused, never read with their text.
        for r in &read.records {
            let same = original.records.iter().find(|o| o.incident.origin == r.incident.origin).map(|o| &o.incident);
            let facts = |i: &pacta_core::Incident| (i.description.clone(), i.targets.clone(), i.alleged_actors.clone(), i.sources.clone(), i.operation_types.clone());
            assert_eq!(same.map(facts), Some(facts(&r.incident)), "quote on line {}: {:?} was read changed", n + 1, r.incident.title);
        }
        // Every original row is either read, or named in a refusal's span of lines.
        let missing = original.records.len() - read.records.len();
        if missing > 0 {
            refused_somewhere += 1;
            assert!(!read.report.refused.is_empty(), "quote on line {}: {missing} rows vanished without a refusal", n + 1);
            assert!(read.report.refused.iter().any(|p| p.reason.contains("unbalanced quote") || p.reason.contains("misaligned") || p.reason.contains("not valid CSV")), "{:?}", read.report.refused);
        }
    }
    assert!(refused_somewhere > 5, "the stray quotes were noticed only {refused_somewhere} times");
}

#[test]
fn a_stray_quote_in_the_global_file_is_named_where_it_opens() {
    // Every incident after it is read into one field; their linked rows then name
    // incidents no longer found. The cause, not the symptom, is reported.
    let dir = edited_release("unclosed-global", |file, text| {
        if !file.contains("Global") {
            return text;
        }
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let (id, rest) = lines[10].split_once(',').unwrap();
        lines[10] = format!("{id},\"{}", rest.replace('"', ""));
        lines.join("\n") + "\n"
    });
    let err = eurepoc::read_dir(&dir).unwrap_err().to_string();
    assert!(err.contains("Global") && err.contains("line 11 opens a quoted field that does not close where a field ends") && err.contains("nothing was imported"), "{err}");
}
