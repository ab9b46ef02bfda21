//! Query-string parsing, shared by the JSON API and the pages so both accept exactly the
//! same filters with the same refusals.
//!
//! Parameters are parsed by hand rather than through a serde struct so that every
//! refusal names the parameter and the value ("sector: \"enrgy\" is not valid: expected
//! a sector: energy, water, ..."), an unknown parameter is refused rather than ignored
//! (a typo must not silently widen a filter), and an empty value (what an HTML form sends
//! for an untouched field) means "any".

use crate::error::AppError;
use pacta_core::{OperationType, Sector, StateCode, incident::parse_date};
use pacta_store::IncidentFilter;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The parameters of an incident list, in the order the documentation lists them.
pub const LIST_PARAMS: [&str; 10] = ["state", "target", "alleged", "sector", "type", "from", "to", "q", "limit", "offset"];

/// The parameters of a bulk download: the list's filters. Not `q`: a text search ranks
/// its matches and a download is in registry order; nor `limit` and `offset`: a download
/// is every match.
pub const DOWNLOAD_PARAMS: [&str; 7] = ["state", "target", "alleged", "sector", "type", "from", "to"];

/// A parsed incident-list request. `filter.max_tlp` is left unset: the viewer sets it.
#[derive(Clone, Debug)]
pub struct ListParams {
    pub filter: IncidentFilter,
    pub limit: u32,
    pub offset: u64,
    /// The filters as given (normalised), to refill a form and build page links.
    pub given: Vec<(&'static str, String)>,
}

impl ListParams {
    /// The value given for a parameter, or "".
    pub fn given(&self, name: &str) -> &str {
        self.given.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// The filters as a download's query string, if a download can reproduce this list:
    /// not for a text search (see [`DOWNLOAD_PARAMS`]).
    pub fn download_query(&self) -> Option<String> {
        if self.given.iter().any(|(k, _)| *k == "q") {
            return None;
        }
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.given.iter().filter(|(k, _)| DOWNLOAD_PARAMS.contains(k)) {
            q.append_pair(k, v);
        }
        Some(q.finish())
    }

    /// A query string with the same filters and limit, at another offset.
    pub fn query_at(&self, offset: u64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.given {
            if !matches!(*k, "offset" | "limit") {
                q.append_pair(k, v);
            }
        }
        if self.limit != DEFAULT_LIMIT {
            q.append_pair("limit", &self.limit.to_string());
        }
        if offset > 0 {
            q.append_pair("offset", &offset.to_string());
        }
        q.finish()
    }
}

/// Splits a raw query string into pairs, refusing names outside `accepted` and names
/// given twice. Empty values are dropped.
pub fn pairs(query: Option<&str>, accepted: &[&'static str]) -> Result<Vec<(&'static str, String)>, AppError> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut seen: Vec<&'static str> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let Some(name) = accepted.iter().copied().find(|a| *a == k) else {
            let accepted = if accepted.is_empty() { "no parameters".to_string() } else { accepted.join(", ") };
            return Err(AppError::UnknownParameter { param: k.into_owned(), accepted });
        };
        if seen.contains(&name) {
            return Err(AppError::bad(name, v.into_owned(), "given more than once"));
        }
        seen.push(name);
        let v = v.trim();
        if !v.is_empty() {
            out.push((name, v.to_string()));
        }
    }
    Ok(out)
}

/// Refuses any parameter: for endpoints that take none.
pub fn none(query: Option<&str>) -> Result<(), AppError> {
    pairs(query, &[]).map(|_| ())
}

pub fn parse_list(query: Option<&str>) -> Result<ListParams, AppError> {
    parse_filters(query, &LIST_PARAMS)
}

/// A bulk download's filters, refused as the list's are.
pub fn parse_download(query: Option<&str>) -> Result<ListParams, AppError> {
    parse_filters(query, &DOWNLOAD_PARAMS)
}

fn parse_filters(query: Option<&str>, accepted: &[&'static str]) -> Result<ListParams, AppError> {
    let given = pairs(query, accepted)?;
    let mut p = ListParams { filter: IncidentFilter::default(), limit: DEFAULT_LIMIT, offset: 0, given: Vec::new() };
    let state = |name: &str, v: &str| StateCode::parse(name, v).map_err(|e| AppError::from_invalid(name, e));
    for (name, v) in given {
        let f = &mut p.filter;
        // Normalise what the user typed so links and the refilled form use canonical values.
        let canonical = match name {
            "state" => f.state.insert(state(name, &v)?).to_string(),
            "target" => f.target_state.insert(state(name, &v)?).to_string(),
            "alleged" => f.alleged_state.insert(state(name, &v)?).to_string(),
            "sector" => f.sector.insert(Sector::parse(name, &v).map_err(|e| AppError::from_invalid(name, e))?).label().to_string(),
            "type" => f.operation_type.insert(OperationType::parse(name, &v).map_err(|e| AppError::from_invalid(name, e))?).label().to_string(),
            "from" => f.from.insert(parse_date(name, &v).map_err(|e| AppError::from_invalid(name, e))?).to_string(),
            "to" => f.to.insert(parse_date(name, &v).map_err(|e| AppError::from_invalid(name, e))?).to_string(),
            "q" => {
                if v.chars().count() > 200 {
                    return Err(AppError::bad(name, v, "a search is at most 200 characters"));
                }
                f.text.insert(v).clone()
            }
            "limit" => {
                let n = v.parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n));
                p.limit = n.ok_or_else(|| AppError::bad(name, &v, format!("expected a whole number from 1 to {MAX_LIMIT}")))?;
                p.limit.to_string()
            }
            "offset" => {
                // Capped so that offset + limit never overflows the database's 64-bit integers.
                let n = v.parse::<u64>().ok().filter(|n| *n <= i64::MAX as u64 / 2);
                p.offset = n.ok_or_else(|| AppError::bad(name, &v, "expected a whole number, 0 or more"))?;
                p.offset.to_string()
            }
            _ => unreachable!("pairs() only yields accepted names"),
        };
        p.given.push((name, canonical));
    }
    if let (Some(from), Some(to)) = (p.filter.from, p.filter.to)
        && to < from {
            return Err(AppError::bad("to", to.to_string(), format!("must not be before from ({from})")));
        }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_parameter_and_value() {
        let err = parse_list(Some("sector=enrgy")).unwrap_err();
        assert!(matches!(&err, AppError::BadParameter { param, value, .. } if param == "sector" && value == "enrgy"), "{err}");
        let err = parse_list(Some("sectr=energy")).unwrap_err();
        assert!(matches!(&err, AppError::UnknownParameter { param, .. } if param == "sectr"), "{err}");
        assert!(parse_list(Some("limit=201")).is_err());
        assert!(parse_list(Some("limit=0")).is_err());
        assert!(parse_list(Some("offset=-1")).is_err());
        assert!(parse_list(Some("state=UA&state=RU")).is_err());
        assert!(parse_list(Some("from=2022-02-01&to=2022-01-01")).is_err());
    }

    #[test]
    fn a_download_takes_the_lists_filters_but_not_its_search_or_paging() {
        let list = parse_list(Some("state=ua&sector=energy&limit=20&offset=40")).unwrap();
        assert_eq!(list.download_query().as_deref(), Some("state=UA&sector=energy"));
        let again = parse_download(Some("state=UA&sector=energy")).unwrap();
        assert_eq!((again.filter.state, again.filter.sector), (list.filter.state, list.filter.sector));
        assert_eq!(parse_list(Some("q=wiper&state=UA")).unwrap().download_query(), None);
        for refused in ["q=wiper", "limit=10", "offset=5"] {
            let err = parse_download(Some(refused)).unwrap_err();
            assert!(matches!(&err, AppError::UnknownParameter { param, .. } if refused.starts_with(param.as_str())), "{err}");
        }
        assert!(matches!(parse_download(Some("state=ZZ")).unwrap_err(), AppError::BadParameter { param, .. } if param == "state"));
    }

    #[test]
    fn empty_values_mean_any_and_values_are_normalised() {
        let p = parse_list(Some("state=ua&sector=&type=Ransomware&limit=10&offset=20")).unwrap();
        assert_eq!(p.filter.state.map(|s| s.to_string()).as_deref(), Some("UA"));
        assert!(p.filter.sector.is_none());
        assert_eq!((p.limit, p.offset), (10, 20));
        assert_eq!(p.query_at(30), "state=UA&type=ransomware&limit=10&offset=30");
    }
}
