//! The roster of neutrals and dispute cases. See the table in [`super`].
//!
//! A case's compliance reaches the response lifecycle through the compliance write path
//! (`measures::insert_compliance!`): once every remedy of a ruling that found a breach is
//! confirmed, the same transaction records that the responsible state complied on each
//! of the case's incidents, and `pacta-ladder` then flags the injured state's
//! countermeasures as due to be lifted (ILC art. 53).

use super::{check_time, parse};
use crate::claims::{corrupt, incident_row, marking, refuse, require_party};
use crate::log::LogAppender;
use crate::measures::insert_compliance;
use crate::write::canonical_json;
use crate::{Store, StoreError, on_pool, write_tx};
use chrono::{DateTime, Utc};
use pacta_core::{ComplianceEvent, ComplianceEventId, ComplianceKind, Incident, IncidentId, Party, PartyId, PartyKind, Tlp};
use pacta_forum::case::{Action, CaseRules, DisputeCase, Roster};
use pacta_forum::panel::{Arbitrator, Involvement};
use pacta_forum::precedent::{self, Corpus, Precedent};
use std::collections::BTreeSet;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredCase {
    pub case: DisputeCase,
    /// The entry of its latest step: for those who took that step, or may read whatever it
    /// was. The public and a party may not read a tribunal's draft, so while one is
    /// pending they are not shown where the log is (the index of a sealed entry would
    /// still tell them that some step was taken, and when).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// False when the viewer sees only the published ruling of a confidential case: the
    /// filings' text and evidence, hearings, interim measures and settlement talks are
    /// left out.
    pub full: bool,
}

/// What the claimant files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCase {
    pub claimant: PartyId,
    pub respondent: PartyId,
    pub title: String,
    pub incidents: Vec<IncidentId>,
    pub claim: String,
    pub evidence: Vec<Uuid>,
    pub tlp: Tlp,
}

/// The view of a confidential case that its published ruling allows.
fn public_view(c: &DisputeCase) -> DisputeCase {
    let mut v = c.clone();
    for f in &mut v.filings {
        f.text = String::new();
        f.evidence.clear();
    }
    v.hearings.clear();
    v.interim_measures.clear();
    v.settlement = None;
    v.draft_ruling = None;
    for r in &mut v.compliance {
        r.report = None;
        r.evidence.clear();
    }
    v
}

fn view(mut c: DisputeCase, log_index: Option<u64>, viewer: Option<&PartyId>) -> Option<StoredCase> {
    // The tribunal's deliberation is its own, whoever else reads the case.
    let in_the_know = c.draft_visible_to(viewer) || (c.draft_ruling.is_none() && viewer.is_some_and(|v| c.participant(v)));
    let log_index = log_index.filter(|_| in_the_know);
    if !c.draft_visible_to(viewer) {
        c.draft_ruling = None;
    }
    if c.visible_to(viewer) {
        // A CLEAR case is open to all, its unpublished ruling (and the compliance with
        // its remedies) only to the participants.
        if !c.ruling_visible_to(viewer) {
            c.ruling = None;
            c.compliance.clear();
        }
        Some(StoredCase { case: c, log_index, full: true })
    } else if c.ruling_visible_to(viewer) {
        Some(StoredCase { case: public_view(&c), log_index: None, full: false })
    } else {
        None
    }
}

/// Inside a write transaction: refuses artefacts that are not held in the vault's custody.
macro_rules! require_held {
    ($tx:expr, $ids:expr) => {{
        for (i, e) in $ids.iter().enumerate() {
            let held: Option<String> = sqlx::query_scalar("SELECT id FROM evidence WHERE id = $1").bind(e.to_string()).fetch_optional(&mut *$tx).await?;
            if held.is_none() {
                return Err(refuse(&format!("evidence[{i}]"), e, "unknown evidence: no artefact under custody has this id (pacta evidence add)"));
            }
        }
    }};
}

impl Store {
    /// Lists (or updates) a neutral on the roster. Registers its party if needed.
    pub async fn list_neutral(&self, actor: &PartyId, arb: Arbitrator) -> Result<u64, StoreError> {
        arb.validate()?;
        let backend = self.backend();
        let index = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            if !actor.is_secretariat() {
                return Err(refuse("--as", actor, format!("the roster of neutrals is kept by the secretariat ({})", pacta_forum::SECRETARIAT)));
            }
            super::register_secretariat!(tx, log, actor);
            require_party!(tx, "--as", actor);
            let p = Party { id: arb.party.clone(), kind: PartyKind::Organisation, name: arb.name.clone(), state: None };
            if arb.party.as_str().starts_with("verifier:") {
                return Err(refuse("party", &arb.party, "a neutral is listed under an org: handle"));
            }
            p.validate()?;
            sqlx::query("INSERT INTO parties (id, kind, name, state) VALUES ($1, $2, $3, NULL) ON CONFLICT (id) DO NOTHING")
                .bind(p.id.to_string())
                .bind(p.kind.label())
                .bind(p.name.clone())
                .execute(&mut *tx)
                .await?;
            let json = canonical_json(&arb)?;
            let index = log.push(actor, "roster.listed", &json, Tlp::Clear);
            sqlx::query("INSERT INTO roster (party, body, log_index) VALUES ($1, $2, $3) ON CONFLICT (party) DO UPDATE SET body = excluded.body, log_index = excluded.log_index")
                .bind(arb.party.to_string())
                .bind(json)
                .bind(index as i64)
                .execute(&mut *tx)
                .await?;
            log.flush(&mut *tx).await?;
            index
        });
        Ok(index)
    }

    /// The roster of neutrals.
    pub async fn roster(&self) -> Result<Vec<Arbitrator>, StoreError> {
        let bodies: Vec<String> = on_pool!(self, pool => sqlx::query_scalar("SELECT body FROM roster ORDER BY party").fetch_all(pool).await?);
        bodies.iter().map(|b| parse("roster entry", b)).collect()
    }

    /// The claimant files a case at `at`.
    pub async fn file_case(&self, actor: &PartyId, new: NewCase, at: DateTime<Utc>) -> Result<StoredCase, StoreError> {
        if actor != &new.claimant {
            return Err(refuse("--as", actor, "a state files cases in its own name only"));
        }
        check_time(at)?;
        let mut case = DisputeCase::file(new.claimant, new.respondent, &new.title, new.incidents, &new.claim, new.evidence, new.tlp, at, &CaseRules::default())?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            require_party!(tx, "claimant", &case.claimant);
            require_party!(tx, "respondent", &case.respondent);
            let mut seqs = Vec::new();
            let mut tlp = case.tlp;
            for id in &case.incidents {
                let (seq, t) = incident_row!(tx, id);
                if seqs.contains(&seq) {
                    return Err(refuse("incidents", id, "names each incident once"));
                }
                seqs.push(seq);
                // A case is at least as confidential as its incidents; marked for named
                // organisations or individuals, it would be read by neither party.
                if let Err(e) = pacta_forum::readable_by_parties("incidents", t, "a case about it") {
                    return Err(refuse("incidents", id, format!("is TLP:{}: {}", t.label(), e.rule)));
                }
                tlp = tlp.max(t);
            }
            // A case is at least as confidential as the incidents it is about.
            case.tlp = tlp;
            require_held!(tx, case.filings[0].evidence);
            let json = canonical_json(&case)?;
            let index = log.push(actor, "case.filed", &json, marking(tlp, false));
            sqlx::query("INSERT INTO dispute_cases (id, claimant, respondent, stage, body, log_index) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(case.id.to_string())
                .bind(case.claimant.to_string())
                .bind(case.respondent.to_string())
                .bind(case.stage.label())
                .bind(json)
                .bind(index as i64)
                .execute(&mut *tx)
                .await?;
            for seq in seqs {
                sqlx::query("INSERT INTO case_incidents (case_id, incident_seq) VALUES ($1, $2)").bind(case.id.to_string()).bind(seq).execute(&mut *tx).await?;
            }
            log.flush(&mut *tx).await?;
            StoredCase { case, log_index: Some(index), full: true }
        });
        Ok(stored)
    }

    /// `actor` takes a step in case `id` at `at`: the one write path for everything after
    /// filing. The case is read under the log lock and [`DisputeCase::apply`] decides.
    pub async fn act_on_case(&self, actor: &PartyId, id: Uuid, action: Action, at: DateTime<Utc>) -> Result<StoredCase, StoreError> {
        check_time(at)?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let body: Option<String> = sqlx::query_scalar("SELECT body FROM dispute_cases WHERE id = $1").bind(id.to_string()).fetch_optional(&mut *tx).await?;
            let Some(body) = body else { return Err(refuse("case", id, "unknown case: no dispute case has this id")) };
            let before: DisputeCase = parse("case", &body)?;
            // A state that may not read the case is told no more than that it is unknown:
            // "you are not a party to it" would confirm it exists and name its parties.
            if !actor.is_secretariat() && !before.visible_to(Some(actor)) {
                return Err(refuse("case", id, "unknown case: no dispute case has this id"));
            }
            super::register_secretariat!(tx, log, actor);
            require_party!(tx, "--as", actor);
            let mut tlp = before.tlp;
            for incident in &before.incidents {
                let (_, t) = incident_row!(tx, incident);
                tlp = tlp.max(t);
            }
            let mut arbitrator = None;
            let mut involvement = Vec::new();
            match &action {
                Action::Appoint { party, .. } => {
                    // Only the secretariat appoints: a neutral who appointed itself, or an
                    // organisation that appointed a friend, would sit in (and read) a case
                    // no one gave it.
                    if !actor.is_secretariat() {
                        return Err(refuse("--as", actor, format!("neutrals are appointed by the secretariat ({}), not by a party or a neutral", pacta_forum::SECRETARIAT)));
                    }
                    let body: Option<String> = sqlx::query_scalar("SELECT body FROM roster WHERE party = $1").bind(party.to_string()).fetch_optional(&mut *tx).await?;
                    arbitrator = body.map(|b| parse::<Arbitrator>("roster entry", &b)).transpose()?;
                    for incident in &before.incidents {
                        let rows: Vec<(String, String)> = sqlx::query_as(
                            "SELECT 'claim', v.body FROM claim_versions v JOIN incidents i ON i.seq = v.incident_seq WHERE i.id = $1 \
                             UNION ALL SELECT 'imported', a.body FROM attributions a JOIN incidents i ON i.seq = a.incident_seq WHERE i.id = $1",
                        )
                        .bind(incident.to_string())
                        .fetch_all(&mut *tx)
                        .await?;
                        for (what, body) in rows {
                            let v: serde_json::Value = parse("claim", &body)?;
                            let a = if what == "claim" { &v["attribution"] } else { &v };
                            let mut named: Vec<String> = a["attributors"].as_array().into_iter().flatten().filter_map(|p| p.as_str().map(String::from)).collect();
                            named.extend(v["recorded_by"].as_str().map(String::from));
                            for p in named.into_iter().filter_map(|p| PartyId::parse("party", &p).ok()) {
                                involvement.push(Involvement { party: p, incident: *incident, what: "made or recorded an attribution claim".into() });
                            }
                        }
                        let rows: Vec<(String,)> = sqlx::query_as("SELECT s.party FROM claim_stances s JOIN incidents i ON i.seq = s.incident_seq WHERE i.id = $1").bind(incident.to_string()).fetch_all(&mut *tx).await?;
                        for (p,) in rows {
                            involvement.push(Involvement { party: PartyId::parse("party", &p).map_err(|e| corrupt("stance", e))?, incident: *incident, what: "endorsed or contested an attribution claim".into() });
                        }
                        let rows: Vec<(String,)> = sqlx::query_as("SELECT custodian FROM evidence WHERE incident_id = $1").bind(incident.to_string()).fetch_all(&mut *tx).await?;
                        for (p,) in rows {
                            involvement.push(Involvement { party: PartyId::parse("party", &p).map_err(|e| corrupt("evidence", e))?, incident: *incident, what: "held evidence".into() });
                        }
                    }
                }
                Action::File { evidence, .. } | Action::ReportCompliance { evidence, .. } => require_held!(tx, evidence),
                _ => {}
            }
            let roster = Roster { arbitrator: arbitrator.as_ref(), involvement: &involvement };
            let after = before.apply(actor, &action, at, &roster, &CaseRules::default())?;
            // The ruling given by this step, if it gave one (a sole arbitrator's, or a
            // three-member tribunal's draft once a second arbitrator concurs).
            let given = after.ruling.as_ref().filter(|_| before.ruling.is_none());
            let (record, mark) = match (given, &after.ruling) {
                // A published ruling is public whatever the case's marking; the rest keeps it.
                (Some(ruling), _) if ruling.published => (
                    serde_json::json!({ "case": id.to_string(), "title": after.title, "claimant": after.claimant.as_str(), "respondent": after.respondent.as_str(), "incidents": after.incidents, "ruling": ruling, "stage": after.stage }),
                    Tlp::Clear,
                ),
                // An arbitrator joining a published ruling after its issue: as public as it.
                (None, Some(ruling)) if ruling.published && matches!(action, Action::Concur { .. }) => (
                    serde_json::json!({ "case": id.to_string(), "ruling": ruling.reference(), "concurring": ruling.concurring }),
                    Tlp::Clear,
                ),
                // A ruling ordered unpublished stays with the participants even in a CLEAR
                // case, and a draft with the tribunal: their entries are marked as a
                // private record is (the log commits to them without showing them).
                _ => (
                    serde_json::json!({ "case": id.to_string(), "at": pacta_forum::fmt_time(at), "action": action, "stage": after.stage, "deadlines": after.deadlines }),
                    // Likewise every step after a ruling ordered unpublished (compliance reports,
                    // confirmations): the case's views keep them from outsiders.
                    marking(tlp, after.ruling.as_ref().is_some_and(|r| !r.published) || matches!(&action, Action::Rule { .. } | Action::Concur { .. })),
                ),
            };
            let index = log.push(actor, pacta_forum::case::entry_kind(&action, &before, &after), &canonical_json(&record)?, mark);
            sqlx::query("UPDATE dispute_cases SET stage = $1, body = $2, log_index = $3 WHERE id = $4")
                .bind(after.stage.label())
                .bind(canonical_json(&after)?)
                .bind(index as i64)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            if after.complied() && !before.complied()
                && let Some(responsible) = after.respondent.state()
            {
                for incident in &after.incidents {
                    let event = ComplianceEvent {
                        id: ComplianceEventId::new(),
                        incident: *incident,
                        kind: ComplianceKind::ResponsibleStateComplied,
                        // The claimant confirming is the injured state's own record; a
                        // tribunal's confirmation is the forum's, recorded in its name.
                        by: if actor.state().is_some() { actor.clone() } else { PartyId::parse("by", pacta_forum::SECRETARIAT).expect("a valid party id") },
                        responsible,
                        date: Some(at.date_naive()),
                        // The event is filed with the incident and read with it, by anyone
                        // who may read the incident: it names the case only when the ruling
                        // is public, or it would show a restricted case's id and title.
                        note: if after.ruling.as_ref().is_some_and(|r| r.published) {
                            format!("every remedy of the ruling in case {id} ({}) was complied with", after.title)
                        } else {
                            "every remedy of a ruling of the forum was complied with".to_string()
                        },
                    };
                    event.validate()?;
                    // Invariant: logged in the name the event carries, not the actor's. The
                    // entry is open when the incident is CLEAR, and it sits beside this
                    // step's sealed one at the same time: in the actor's name, it would
                    // tell the public which arbitrator acted in a case it may not read.
                    let by = event.by.clone();
                    insert_compliance!(tx, log, &by, event);
                }
            }
            log.flush(&mut *tx).await?;
            // The case goes back to the actor as the actor may see it: a party acting
            // while the tribunal deliberates does not get the draft with its answer.
            let mut after = after;
            if !after.draft_visible_to(Some(actor)) {
                after.draft_ruling = None;
            }
            StoredCase { case: after, log_index: Some(index), full: true }
        });
        Ok(stored)
    }

    /// One case as `viewer` may see it (see [`StoredCase::full`]).
    pub async fn get_case(&self, id: Uuid, viewer: Option<&PartyId>) -> Result<Option<StoredCase>, StoreError> {
        let row: Option<(String, i64)> = on_pool!(self, pool => sqlx::query_as("SELECT body, log_index FROM dispute_cases WHERE id = $1").bind(id.to_string()).fetch_optional(pool).await?);
        let Some((body, index)) = row else { return Ok(None) };
        Ok(view(parse("case", &body)?, Some(index as u64), viewer))
    }

    /// The cases `viewer` may see, about `incident` when given, newest first.
    pub async fn cases(&self, incident: Option<IncidentId>, viewer: Option<&PartyId>) -> Result<Vec<StoredCase>, StoreError> {
        Ok(self.all_cases(incident).await?.into_iter().filter_map(|c| view(c.case, c.log_index, viewer)).collect())
    }

    /// Every case, unfiltered: for a shell that decides visibility itself (the server's
    /// policies), which must apply [`DisputeCase::visible_to`]'s rule or a stricter one.
    pub async fn all_cases(&self, incident: Option<IncidentId>) -> Result<Vec<StoredCase>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => {
            match incident {
                Some(i) => sqlx::query_as("SELECT c.body, c.log_index FROM dispute_cases c JOIN case_incidents ci ON ci.case_id = c.id JOIN incidents i ON i.seq = ci.incident_seq WHERE i.id = $1 ORDER BY c.id DESC").bind(i.to_string()).fetch_all(pool).await?,
                None => sqlx::query_as("SELECT body, log_index FROM dispute_cases ORDER BY id DESC").fetch_all(pool).await?,
            }
        });
        rows.into_iter().map(|(body, index)| Ok(StoredCase { case: parse("case", &body)?, log_index: Some(index as u64), full: true })).collect()
    }

    /// The published-ruling view of a case, for viewers who may not read its proceedings.
    pub fn public_view(c: &StoredCase) -> Option<StoredCase> {
        c.case.ruling.as_ref().is_some_and(|r| r.published).then(|| StoredCase { case: public_view(&c.case), log_index: None, full: false })
    }

    /// Every decided case that makes precedent (published rulings, CLEAR settlements).
    pub async fn precedents(&self) -> Result<Vec<Precedent>, StoreError> {
        Ok(self.precedent_corpus().await?.into_precedents())
    }

    /// [`Store::precedents`], each with the incidents its case is about, for finding the
    /// cases similar to an incident ([`Corpus::similar_to`]). A server keeps one and reads
    /// it again only when the log has grown, rather than on every page view.
    pub async fn precedent_corpus(&self) -> Result<Corpus, StoreError> {
        let mut corpus = Corpus::default();
        for (case, incidents) in self.decided_cases().await? {
            corpus.add(&case, &incidents);
        }
        Ok(corpus)
    }

    /// Every decided case with the incidents it is about, in one statement: the incident
    /// page reads them on every view, and one statement per case would grow with the
    /// forum's history.
    async fn decided_cases(&self) -> Result<Vec<(DisputeCase, Vec<Incident>)>, StoreError> {
        let rows: Vec<(String, String, Option<String>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT c.id, c.body, i.body FROM dispute_cases c LEFT JOIN case_incidents ci ON ci.case_id = c.id LEFT JOIN incidents i ON i.seq = ci.incident_seq \
             WHERE c.stage IN ('settled', 'ruled', 'closed') ORDER BY c.id, ci.incident_seq"
        ).fetch_all(pool).await?);
        let mut out: Vec<(String, DisputeCase, Vec<Incident>)> = Vec::new();
        for (id, case, incident) in rows {
            if out.last().is_none_or(|(last, _, _)| *last != id) {
                out.push((id, parse("case", &case)?, Vec::new()));
            }
            if let (Some(body), Some((_, _, incidents))) = (incident, out.last_mut()) {
                incidents.push(parse("incident", &body)?);
            }
        }
        Ok(out.into_iter().map(|(_, case, incidents)| (case, incidents)).collect())
    }

    /// The earlier decided cases most like `incident` (its features, and `rules` the caller
    /// found engaged), leaving out cases about the incident itself.
    pub async fn similar_cases(&self, incident: IncidentId, rules: &BTreeSet<String>, limit: usize) -> Result<Vec<(f64, Precedent)>, StoreError> {
        let features = precedent::incident_features(&self.incident_bodies(&[incident]).await?);
        Ok(self.precedent_corpus().await?.similar_by_features(incident, &features, rules, limit))
    }

    async fn incident_bodies(&self, ids: &[IncidentId]) -> Result<Vec<Incident>, StoreError> {
        let mut out = Vec::new();
        for id in ids {
            let body: Option<String> = on_pool!(self, pool => sqlx::query_scalar("SELECT body FROM incidents WHERE id = $1").bind(id.to_string()).fetch_optional(pool).await?);
            if let Some(b) = body {
                out.push(parse("incident", &b)?);
            }
        }
        Ok(out)
    }
}
