//! The norms pages: the literate instrument files, rendered for a lawyer to read, and the
//! same instruments as JSON.
//!
//! | path | what |
//! |---|---|
//! | `/norms` | every instrument: universal law and norms, regional overlays, national positions |
//! | `/norms/{id}` | one instrument: its prose, each rule block in place, anchored by rule id |
//! | `/api/v1/instruments`, `/api/v1/instruments/{id}` | the same as JSON, with the source text |
//!
//! What is shown is exactly what the engine applies: the built-in files that
//! `pacta_norms::builtin()` compiles, with the instruments version that every stored
//! assessment records. A rule's anchor (`/norms/tallinn-2#tallinn.r4.sovereignty`) is
//! stable, because rule ids are.
//!
//! Invariant: **the Markdown is rendered without raw HTML.** The files are ours and
//! reviewed, but a page must not execute what a file says: raw HTML in the source is shown
//! as text, and the rule blocks are escaped before they are wrapped.

use crate::AppState;
use crate::charts::esc as escape;
use crate::error::AppError;
use crate::pages::{PageResult, html};
use askama::Template;
use axum::extract::{Path, RawQuery};
use axum::routing::get;
use axum::{Json, Router};
use pacta_norms::{InstrumentInfo, Scope};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/norms", get(index))
        .route("/norms/{id}", get(instrument_page))
        .route("/api/v1/instruments", get(api_index))
        .route("/api/v1/instruments/{id}", get(api_instrument))
}

fn source_of(info: &InstrumentInfo) -> Option<&'static str> {
    pacta_norms::BUILTIN.iter().find(|(path, _)| *path == info.file).map(|(_, text)| *text)
}

fn find(id: &str) -> Result<&'static InstrumentInfo, AppError> {
    pacta_norms::builtin()
        .instruments()
        .iter()
        .find(|i| &*i.id == id)
        .ok_or_else(|| AppError::NotFound(format!("instrument {:?} is not loaded; /norms lists those that are", crate::error::echo(id))))
}

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::Universal => "universal".into(),
        Scope::Regional { parties } => format!("regional ({} participating states)", parties.len()),
        Scope::National { state } => format!("national position of {}", state.name()),
        Scope::Treaty { non_parties, .. } => format!("treaty (binds its parties; {} states are not parties)", non_parties.len()),
    }
}

/// An instrument as listed and as the JSON API gives it.
#[derive(Serialize)]
pub struct InstrumentSummary {
    pub id: String,
    pub title: String,
    pub cites: String,
    pub scope: String,
    pub file: String,
    pub from: Option<String>,
    pub rules: Vec<RuleRef>,
}

#[derive(Serialize)]
pub struct RuleRef {
    pub id: String,
    pub cites: String,
}

fn summary(i: &InstrumentInfo) -> InstrumentSummary {
    InstrumentSummary {
        id: i.id.to_string(),
        title: i.title.clone(),
        cites: i.cites.clone(),
        scope: scope_text(&i.scope),
        file: i.file.clone(),
        from: i.from.map(|d| d.to_string()),
        rules: pacta_norms::builtin().rules_of(&i.id).map(|(id, cites)| RuleRef { id: id.into(), cites: cites.into() }).collect(),
    }
}

#[derive(Template)]
#[template(path = "norms.html")]
struct NormsIndex {
    nav: &'static str,
    version: String,
    groups: Vec<(&'static str, Vec<InstrumentSummary>)>,
}

async fn index(RawQuery(query): RawQuery) -> PageResult {
    crate::params::none(query.as_deref())?;
    let law = pacta_norms::builtin();
    let mut groups: Vec<(&'static str, Vec<InstrumentSummary>)> = vec![("Universal law and norms", vec![]), ("Regional overlays", vec![]), ("National positions", vec![])];
    for i in law.instruments() {
        let g = match i.scope {
            Scope::Universal => 0,
            Scope::Regional { .. } => 1,
            Scope::National { .. } => 2,
            Scope::Treaty { .. } => 0,
        };
        groups[g].1.push(summary(i));
    }
    html(&NormsIndex { nav: "norms", version: law.version().to_string(), groups })
}

#[derive(Template)]
#[template(path = "instrument.html")]
struct InstrumentPage {
    nav: &'static str,
    i: InstrumentSummary,
    body: String,
    version: String,
}

async fn instrument_page(Path(id): Path<String>, RawQuery(query): RawQuery) -> PageResult {
    crate::params::none(query.as_deref())?;
    let info = find(&id)?;
    let text = source_of(info).ok_or_else(|| AppError::Internal(format!("no source for {}", info.file)))?;
    html(&InstrumentPage { nav: "norms", i: summary(info), body: render_literate(text), version: pacta_norms::builtin().version().to_string() })
}

#[derive(Serialize)]
struct ApiIndex {
    version: String,
    instruments: Vec<InstrumentSummary>,
}

#[utoipa::path(
    get, path = "/api/v1/instruments", tag = "norms",
    responses((status = 200, description = "The instruments the engine applies, each with its rules, and the instruments version"))
)]
pub(crate) async fn api_index(RawQuery(query): RawQuery) -> Result<Json<serde_json::Value>, AppError> {
    crate::params::none(query.as_deref())?;
    let law = pacta_norms::builtin();
    let body = ApiIndex { version: law.version().to_string(), instruments: law.instruments().iter().map(summary).collect() };
    Ok(Json(serde_json::to_value(body).map_err(|e| AppError::Internal(e.to_string()))?))
}

#[derive(Serialize)]
struct ApiInstrument {
    version: String,
    #[serde(flatten)]
    instrument: InstrumentSummary,
    source: &'static str,
}

#[utoipa::path(
    get, path = "/api/v1/instruments/{id}", tag = "norms",
    params(("id" = String, Path, description = "The instrument's id, such as `tallinn-2`")),
    responses(
        (status = 200, description = "The instrument, its rules and its literate source text"),
        (status = 404, description = "No instrument with this id is loaded", body = crate::error::ErrorBody),
    )
)]
pub(crate) async fn api_instrument(Path(id): Path<String>, RawQuery(query): RawQuery) -> Result<Json<serde_json::Value>, AppError> {
    crate::params::none(query.as_deref())?;
    let info = find(&id)?;
    let source = source_of(info).ok_or_else(|| AppError::Internal(format!("no source for {}", info.file)))?;
    let body = ApiInstrument { version: pacta_norms::builtin().version().to_string(), instrument: summary(info), source };
    serde_json::to_value(body).map(Json).map_err(|e| AppError::Internal(e.to_string()))
}


/// The value of `key:` on its own line of a rule block, if any.
fn field<'a>(block: &'a str, key: &str) -> Option<&'a str> {
    block.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')).map(str::trim))
}

/// A rule block, shown where it stands in the prose, with an anchor on its id.
fn rule_html(block: &str) -> String {
    let id = field(block, "id").unwrap_or("");
    let kind = field(block, "kind").unwrap_or("");
    let force = field(block, "force").unwrap_or("");
    let anchor = if id.is_empty() { String::new() } else { format!(" id=\"{}\"", escape(id)) };
    format!(
        "<div class=\"rule\"{anchor}><p class=\"rule-head\"><a href=\"#{}\">{}</a> <span class=\"tag\">{}</span> <span class=\"tag\">{}</span></p><pre>{}</pre></div>\n",
        escape(id),
        escape(id),
        escape(kind),
        escape(force),
        escape(block.trim_end())
    )
}

/// Renders a literate instrument file to HTML: the prose as Markdown, `rule` blocks as
/// anchored cards, the `instrument` header block as a note. Raw HTML is shown as text.
pub fn render_literate(text: &str) -> String {
    let mut events: Vec<Event> = Vec::new();
    let mut fence: Option<(String, String)> = None;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if matches!(&*lang, "rule" | "instrument") => {
                fence = Some((lang.to_string(), String::new()));
            }
            Event::Text(t) if fence.is_some() => {
                if let Some((_, body)) = fence.as_mut() {
                    body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) if fence.is_some() => {
                if let Some((lang, body)) = fence.take() {
                    let out = if lang == "rule" { rule_html(&body) } else { format!("<pre class=\"instrument-header\">{}</pre>\n", escape(body.trim_end())) };
                    events.push(Event::Html(out.into()));
                }
            }
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            e => events.push(e),
        }
    }
    let mut out = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_blocks_become_anchored_cards_and_raw_html_is_text() {
        let src = "# Title\n\nProse with <script>alert(1)</script> in it.\n\n```rule\nid: x.r1\nkind: prohibition\nforce: law\ncites: Art. 1 <b>\nbreached when: a and b\n```\n";
        let h = render_literate(src);
        assert!(h.contains("<h1>Title</h1>"), "{h}");
        assert!(h.contains("id=\"x.r1\""), "{h}");
        assert!(h.contains("Art. 1 &lt;b&gt;"), "{h}");
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn every_builtin_instrument_has_its_source_and_rules() {
        for i in pacta_norms::builtin().instruments() {
            let text = source_of(i).unwrap_or_else(|| panic!("no source for {}", i.file));
            let h = render_literate(text);
            for (rule, _) in pacta_norms::builtin().rules_of(&i.id) {
                assert!(h.contains(&format!("id=\"{}\"", escape(rule))), "{} lacks the anchor of {rule}", i.id);
            }
        }
    }
}
