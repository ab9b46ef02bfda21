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
    std::fs::write(&path, body).unwrap();
    let read = cfr::read_file(&path).unwrap();
    let titles: Vec<&str> = read.records.iter().map(|r| r.incident.title.as_str()).collect();
    assert_eq!(titles, vec!["Operation with no date", "Operation with no type", "Good row"]);
    let refused: Vec<String> = read.report.refused.iter().map(|p| p.to_string()).collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(refused[0].starts_with("broken.csv:4: is misaligned"), "{refused:?}");
    assert!(refused[1].starts_with("broken.csv:5: Date \"31/31/2020\""), "{refused:?}");
    assert!(refused[2].starts_with("broken.csv:6: Type \"Hugging\""), "{refused:?}");
    assert_eq!(read.records[2].responses.len(), 1);
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
