//! Attribution claims: versions, withdrawals, endorsements and contests.
//!
//! | change | write path | log entry kind |
//! |---|---|---|
//! | a party makes a claim (alone or jointly) | [`Store::make_claim`] | `claim.made` |
//! | an attributor amends it | [`Store::amend_claim`] | `claim.amended` |
//! | an attributor withdraws it | [`Store::withdraw_claim`] | `claim.withdrawn` |
//! | another party endorses or contests it | [`Store::take_stance`] | `claim.endorsed`, `claim.contested` |
//!
//! Each logs the record ([`ClaimVersion`] or [`Stance`], canonical JSON). A private claim,
//! or any claim about an incident marked above CLEAR, is logged as a commitment only (see
//! [`crate::log::logged_record`]): the log proves the claim was made, and when, without
//! telling the public what it says. Its stances inherit its marking.
//!
//! Claims imported with their incident stay in the `attributions` table and are read as
//! version 1 (`recorded_by` [`IMPORTED_BY`], logged inside the incident's import entry), so
//! imported incidents get a status too and their claims can be endorsed, contested and
//! amended like any other.
//!
//! Invariants:
//! - **History is kept.** Versions are only ever added; the status (`pacta-ladder`) reads
//!   the latest version of each claim.
//! - **Everything named exists.** The incident, every attributor, every party a private
//!   claim is shared with, and every artefact of evidence (which must belong to this
//!   incident, or to none) are checked inside the write transaction; a refusal names the
//!   rule and writes nothing.
//! - **Only attributors change a claim; only others take a stance on it.**

use crate::log::LogAppender;
use crate::write::canonical_json;
use crate::{Store, StoreError, on_pool, write_tx};
use pacta_core::{AttributionId, ClaimAction, ClaimVersion, IncidentId, Invalid, Party, PartyId, Stance, StanceKind, Tlp, Visibility};
use sqlx::Row;
use uuid::Uuid;

/// The `recorded_by` of an imported claim's version 1.
pub const IMPORTED_BY: &str = "org:imported";

/// A claim version as stored, with the log entry that recorded it (for an imported claim,
/// its incident's latest entry).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredClaim {
    pub version: ClaimVersion,
    pub log_index: u64,
    /// Read from the incident's import rather than made in the registry.
    pub imported: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredStance {
    pub stance: Stance,
    pub log_index: u64,
}

pub(crate) fn refuse(field: &str, value: impl std::fmt::Display, rule: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::new(field, value, rule))
}

pub(crate) fn corrupt(what: impl Into<String>, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.into(), detail: e.to_string() }
}

/// The marking a record about an incident is logged under: the incident's own, raised to
/// AMBER for a record shared with named parties only.
pub(crate) fn marking(incident_tlp: Tlp, private: bool) -> Tlp {
    if private { incident_tlp.max(Tlp::Amber) } else { incident_tlp }
}

/// Inside a write transaction: the incident's (seq, tlp), or a refusal.
macro_rules! incident_row {
    ($tx:expr, $id:expr) => {{
        let row: Option<(i64, String)> = sqlx::query_as("SELECT seq, tlp FROM incidents WHERE id = $1").bind($id.to_string()).fetch_optional(&mut *$tx).await?;
        match row {
            Some((seq, tlp)) => (seq, Tlp::parse("tlp", &tlp).map_err(|e| crate::claims::corrupt(format!("incident {}", $id), e))?),
            None => return Err(crate::claims::refuse("incident", $id, "unknown incident: no incident has this id")),
        }
    }};
}
pub(crate) use incident_row;

/// Inside a write transaction: refuses the date of something done about an incident (a
/// claim, a stance, a development in its enforcement arc) that is earlier than the
/// incident's start date. Such a date is a typing slip (0000-01-01, the wrong year), and
/// left in it would put a call to comply before the act it answers. An undated incident,
/// or an undated record, has nothing to check.
macro_rules! require_not_before_start {
    ($tx:expr, $seq:expr, $field:expr, $date:expr) => {{
        if let Some(d) = $date {
            let start: Option<String> = sqlx::query_scalar("SELECT start_date FROM incidents WHERE seq = $1").bind($seq).fetch_one(&mut *$tx).await?;
            if let Some(start) = start.as_deref().and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                && d < start
            {
                return Err(crate::claims::refuse($field, d, format!("is before the incident began ({start}): it dates something done in answer to the incident")));
            }
        }
    }};
}
pub(crate) use require_not_before_start;

/// Inside a write transaction: refuses a party that is not registered.
macro_rules! require_party {
    ($tx:expr, $field:expr, $party:expr) => {{
        let known: Option<String> = sqlx::query_scalar("SELECT kind FROM parties WHERE id = $1").bind($party.to_string()).fetch_optional(&mut *$tx).await?;
        if known.is_none() {
            return Err(crate::claims::refuse($field, $party, "unknown party: it is not registered (import an incident naming it, or register a key for it)"));
        }
    }};
}
pub(crate) use require_party;

/// Inside a write transaction: refuses evidence that is not held, or held for another incident.
macro_rules! require_evidence {
    ($tx:expr, $ids:expr, $incident:expr, $actor:expr) => {{
        for (i, id) in $ids.iter().enumerate() {
            // A party relies on evidence it holds or has held: it is the custodian, or it
            // signed an event of the artefact's chain. Another party's artefact, which it
            // may not even be allowed to read, is not its evidence, and is answered as if it
            // did not exist, so that the refusal reveals nothing about it.
            let row: Option<(Option<String>,)> = sqlx::query_as(
                "SELECT e.incident_id FROM evidence e WHERE e.id = $1 AND (e.custodian = $2 \
                 OR EXISTS (SELECT 1 FROM custody_events c JOIN party_keys k ON k.vkey = c.vkey WHERE c.evidence_id = e.id AND k.party = $2))",
            )
            .bind(id.to_string())
            .bind($actor.as_str())
            .fetch_optional(&mut *$tx)
            .await?;
            match row {
                None => return Err(refuse(&format!("evidence[{i}]"), id, "unknown evidence: no artefact in this party's custody has this id")),
                Some((Some(other),)) if other != $incident.to_string() => {
                    return Err(refuse(&format!("evidence[{i}]"), id, format!("belongs to incident {other}, not to this one")));
                }
                Some(_) => {}
            }
        }
    }};
}

/// Inside a write transaction: the latest version of a claim (an imported claim's
/// version 1 comes from `attributions`) and the incident's seq, or a refusal.
macro_rules! latest_claim {
    ($tx:expr, $claim:expr) => {{
        let row: Option<(String, i64)> = sqlx::query_as("SELECT body, incident_seq FROM claim_versions WHERE claim_id = $1 ORDER BY version DESC LIMIT 1")
            .bind($claim.to_string())
            .fetch_optional(&mut *$tx)
            .await?;
        match row {
            Some((body, seq)) => (serde_json::from_str::<ClaimVersion>(&body).map_err(|e| corrupt(format!("claim {}", $claim), e))?, seq),
            None => {
                let row: Option<(String, i64)> = sqlx::query_as("SELECT body, incident_seq FROM attributions WHERE id = $1").bind($claim.to_string()).fetch_optional(&mut *$tx).await?;
                match row {
                    Some((body, seq)) => (imported_version(&body)?, seq),
                    None => return Err(refuse("claim", $claim, "unknown claim: no attribution claim has this id")),
                }
            }
        }
    }};
}

pub(crate) fn imported_version(body: &str) -> Result<ClaimVersion, StoreError> {
    let attribution = serde_json::from_str(body).map_err(|e| corrupt("attribution", e))?;
    Ok(ClaimVersion {
        version: 1,
        action: ClaimAction::Made,
        attribution,
        evidence: Vec::new(),
        recorded_by: PartyId::parse("recorded_by", IMPORTED_BY).map_err(|e| corrupt("attribution", e))?,
        reason: None,
    })
}

fn private(v: &ClaimVersion) -> bool {
    matches!(v.attribution.visibility, Visibility::Private { .. })
}

impl Store {
    /// Records a new claim by `actor`, who must be one of its attributors. The claim names
    /// its incident (`attribution.incident`), states an ICD 203 likelihood, and relies on
    /// the artefacts `evidence`.
    pub async fn make_claim(&self, actor: &PartyId, attribution: pacta_core::Attribution, evidence: Vec<Uuid>) -> Result<StoredClaim, StoreError> {
        let version = ClaimVersion { version: 1, action: ClaimAction::Made, attribution, evidence, recorded_by: actor.clone(), reason: None };
        version.validate()?;
        let a = &version.attribution;
        if a.attributors.is_empty() {
            return Err(refuse("attributors", "[]", "a claim made in the registry names the parties making it"));
        }
        if !a.attributors.contains(actor) {
            return Err(refuse("--as", actor, "a party makes claims in its own name: it must be among the attributors"));
        }
        if a.confidence.is_none() {
            return Err(refuse("confidence", "(none)", "a claim states its likelihood as an ICD 203 term (almost_no_chance … almost_certain)"));
        }
        self.write_claim_version(actor, version, None).await
    }

    /// Records a new version of a claim: `attribution` is what the claim now says (its id
    /// and incident are the claim's), relying on `evidence`, for `reason`.
    pub async fn amend_claim(&self, actor: &PartyId, claim: AttributionId, mut attribution: pacta_core::Attribution, evidence: Vec<Uuid>, reason: &str) -> Result<StoredClaim, StoreError> {
        attribution.id = claim;
        let version = ClaimVersion { version: 2, action: ClaimAction::Amended, attribution, evidence, recorded_by: actor.clone(), reason: Some(reason.trim().to_string()).filter(|r| !r.is_empty()) };
        self.write_claim_version(actor, version, Some(claim)).await
    }

    /// Withdraws a claim. It stays on record, and stops counting.
    pub async fn withdraw_claim(&self, actor: &PartyId, claim: AttributionId, reason: &str) -> Result<StoredClaim, StoreError> {
        // The withdrawal carries the claim's content as it stands; the write path takes it
        // again inside the transaction, so a concurrent amendment is not undone.
        let current = on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            let tx = &mut *conn;
            let (v, _) = latest_claim!(tx, claim);
            v
        });
        let version = ClaimVersion {
            version: 2,
            action: ClaimAction::Withdrawn,
            attribution: current.attribution,
            evidence: current.evidence,
            recorded_by: actor.clone(),
            reason: Some(reason.trim().to_string()),
        };
        self.write_claim_version(actor, version, Some(claim)).await
    }

    /// The claim write path. For an amendment or withdrawal (`of` is the claim), the
    /// version number and the claim's incident are taken from the stored claim inside the
    /// transaction, so two concurrent amendments get consecutive versions.
    async fn write_claim_version(&self, actor: &PartyId, mut version: ClaimVersion, of: Option<AttributionId>) -> Result<StoredClaim, StoreError> {
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            if let Some(claim) = of {
                // An imported claim is the source's record of who said what (a company's
                // report, a group's boast), filed under the attributor's country: no state
                // amends or withdraws it here, least of all the state it accuses. A party
                // that disagrees contests it or makes its own claim; a re-import updates it.
                let imported: Option<i64> = sqlx::query_scalar("SELECT incident_seq FROM attributions WHERE id = $1").bind(claim.to_string()).fetch_optional(&mut *tx).await?;
                if imported.is_some() {
                    return Err(refuse("claim", claim, "is imported from a data set: it is amended only by a re-import of its source; contest it, or make a claim of your own"));
                }
                let (current, _) = latest_claim!(tx, claim);
                if !current.stands() {
                    return Err(refuse("claim", claim, "was withdrawn: a withdrawn claim takes no further versions (make a new claim)"));
                }
                if !current.attribution.attributors.contains(actor) {
                    return Err(refuse("--as", actor, format!("only the claim's attributors ({}) amend or withdraw it", names(&current.attribution.attributors))));
                }
                version.version = current.version + 1;
                version.attribution.incident = current.attribution.incident;
                if version.action == ClaimAction::Withdrawn {
                    version.attribution = current.attribution.clone();
                    version.evidence = current.evidence.clone();
                }
                if version.action == ClaimAction::Amended {
                    if version.attribution.attributors.is_empty() || !version.attribution.attributors.contains(actor) {
                        return Err(refuse("attributors", names(&version.attribution.attributors), "an amended claim still names the party amending it among its attributors"));
                    }
                    if version.attribution.confidence.is_none() {
                        return Err(refuse("confidence", "(none)", "a claim states its likelihood as an ICD 203 term"));
                    }
                }
            }
            version.validate()?;
            let a = &version.attribution;
            let (seq, tlp) = incident_row!(tx, a.incident);
            require_not_before_start!(tx, seq, "date", a.date);
            for (i, p) in a.attributors.iter().enumerate() {
                require_party!(tx, &format!("attributors[{i}]"), p);
            }
            if let Visibility::Private { shared_with } = &a.visibility {
                for (i, p) in shared_with.iter().enumerate() {
                    require_party!(tx, &format!("visibility.shared_with[{i}]"), p);
                }
            }
            require_evidence!(tx, version.evidence, a.incident, actor);
            let json = canonical_json(&version)?;
            let kind = match version.action {
                ClaimAction::Made => "claim.made",
                ClaimAction::Amended => "claim.amended",
                ClaimAction::Withdrawn => "claim.withdrawn",
            };
            let index = log.push(actor, kind, &json, marking(tlp, private(&version)));
            sqlx::query("INSERT INTO claim_versions (claim_id, version, incident_seq, action, body, log_index) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(a.id.to_string())
                .bind(i64::from(version.version))
                .bind(seq)
                .bind(version.action.label())
                .bind(json)
                .bind(index as i64)
                .execute(&mut *tx)
                .await?;
            // A claim changes what the incident's assessment rests on: stored assessments
            // are keyed on that index and go stale with it (see assessments.rs). The
            // incident's public log_index stays its record's: a private claim must not show
            // the public that something was said about the incident.
            sqlx::query("UPDATE incidents SET facts_index = $1 WHERE seq = $2").bind(index as i64).bind(seq).execute(&mut *tx).await?;
            log.flush(&mut *tx).await?;
            StoredClaim { version, log_index: index, imported: false }
        });
        Ok(stored)
    }

    /// Records `actor`'s endorsement or contest of a claim. The stance answers the claim's
    /// latest version (its `claim_version` and `incident` are set from it).
    pub async fn take_stance(&self, actor: &PartyId, mut stance: Stance) -> Result<StoredStance, StoreError> {
        if &stance.party != actor {
            return Err(refuse("--as", actor, "a party takes stances in its own name only"));
        }
        stance.claim_version = stance.claim_version.max(1);
        stance.validate()?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let (claim, _) = latest_claim!(tx, stance.claim);
            if !claim.stands() {
                return Err(refuse("claim", stance.claim, "was withdrawn: there is nothing left to endorse or contest"));
            }
            if !claim.visible_to(Some(actor)) {
                // Say no more than "unknown": a private claim's existence is not for others.
                return Err(refuse("claim", stance.claim, "unknown claim: no attribution claim has this id"));
            }
            if claim.attribution.attributors.contains(actor) {
                return Err(refuse("--as", actor, "is an attributor of this claim: a party does not endorse or contest its own claim (amend it instead)"));
            }
            require_party!(tx, "party", actor);
            stance.claim_version = claim.version;
            stance.incident = claim.attribution.incident;
            let (seq, tlp) = incident_row!(tx, stance.incident);
            require_not_before_start!(tx, seq, "date", stance.date);
            require_evidence!(tx, stance.evidence, stance.incident, actor);
            let json = canonical_json(&stance)?;
            let kind = match stance.kind {
                StanceKind::Endorse => "claim.endorsed",
                StanceKind::Contest => "claim.contested",
            };
            let index = log.push(actor, kind, &json, marking(tlp, private(&claim)));
            sqlx::query("INSERT INTO claim_stances (id, claim_id, incident_seq, party, kind, body, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(stance.id.to_string())
                .bind(stance.claim.to_string())
                .bind(seq)
                .bind(actor.to_string())
                .bind(stance.kind.label())
                .bind(json)
                .bind(index as i64)
                .execute(&mut *tx)
                .await?;
            log.flush(&mut *tx).await?;
            StoredStance { stance, log_index: index }
        });
        Ok(stored)
    }
}

fn names(parties: &[PartyId]) -> String {
    parties.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------------------------------
// Reads. `viewer` is the party asking (None: the anonymous public); private versions are
// returned only to their attributors and the parties they are shared with.

impl Store {
    async fn incident_seq(&self, incident: IncidentId) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM incidents WHERE id = $1").bind(incident.to_string()).fetch_optional(pool).await?;
            seq.ok_or_else(|| refuse("incident", incident, "unknown incident: no incident has this id"))
        })
    }

    /// Every version of every claim about `incident` that `viewer` may read: imported
    /// claims first (as version 1), then the registry's versions in log order.
    pub async fn claims_of(&self, incident: IncidentId, viewer: Option<&PartyId>) -> Result<Vec<StoredClaim>, StoreError> {
        let seq = self.incident_seq(incident).await?;
        let mut out = Vec::new();
        on_pool!(self, pool => {
            for row in sqlx::query("SELECT a.body, i.log_index FROM attributions a JOIN incidents i ON i.seq = a.incident_seq WHERE a.incident_seq = $1 ORDER BY a.id").bind(seq).fetch_all(pool).await? {
                let v = imported_version(&row.try_get::<String, _>("body")?)?;
                out.push(StoredClaim { version: v, log_index: row.try_get::<i64, _>("log_index")? as u64, imported: true });
            }
            for row in sqlx::query("SELECT body, log_index FROM claim_versions WHERE incident_seq = $1 ORDER BY log_index").bind(seq).fetch_all(pool).await? {
                let v: ClaimVersion = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|e| corrupt("claim version", e))?;
                out.push(StoredClaim { version: v, log_index: row.try_get::<i64, _>("log_index")? as u64, imported: false });
            }
        });
        out.retain(|c| c.version.visible_to(viewer));
        Ok(out)
    }

    /// The versions of one claim that `viewer` may read, oldest first.
    pub async fn claim_history(&self, claim: AttributionId, viewer: Option<&PartyId>) -> Result<Vec<StoredClaim>, StoreError> {
        let incident = on_pool!(self, pool => {
            let body: Option<String> = sqlx::query_scalar("SELECT body FROM claim_versions WHERE claim_id = $1 ORDER BY version LIMIT 1").bind(claim.to_string()).fetch_optional(pool).await?;
            let body = match body {
                Some(b) => Some(b),
                None => sqlx::query_scalar("SELECT body FROM attributions WHERE id = $1").bind(claim.to_string()).fetch_optional(pool).await?,
            };
            match body {
                Some(b) => serde_json::from_str::<serde_json::Value>(&b).map_err(|e| corrupt("claim", e))?,
                None => return Err(refuse("claim", claim, "unknown claim: no attribution claim has this id")),
            }
        });
        let incident = incident.get("incident").or_else(|| incident.get("attribution").and_then(|a| a.get("incident"))).and_then(|v| v.as_str()).map(IncidentId::parse).transpose()?;
        let incident = incident.ok_or_else(|| corrupt(format!("claim {claim}"), "names no incident"))?;
        let mut all = self.claims_of(incident, viewer).await?;
        all.retain(|c| c.version.claim() == claim);
        if all.is_empty() {
            return Err(refuse("claim", claim, "unknown claim: no attribution claim has this id"));
        }
        Ok(all)
    }

    /// The stances on claims about `incident` that `viewer` may read (those on claims it
    /// may read), in log order.
    pub async fn stances_of(&self, incident: IncidentId, viewer: Option<&PartyId>) -> Result<Vec<StoredStance>, StoreError> {
        let seq = self.incident_seq(incident).await?;
        let visible: std::collections::BTreeSet<AttributionId> = self.claims_of(incident, viewer).await?.iter().map(|c| c.version.claim()).collect();
        let mut out = Vec::new();
        on_pool!(self, pool => {
            for row in sqlx::query("SELECT body, log_index FROM claim_stances WHERE incident_seq = $1 ORDER BY log_index").bind(seq).fetch_all(pool).await? {
                let s: Stance = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|e| corrupt("stance", e))?;
                out.push(StoredStance { stance: s, log_index: row.try_get::<i64, _>("log_index")? as u64 });
            }
        });
        out.retain(|s| visible.contains(&s.stance.claim));
        Ok(out)
    }

    /// The registered parties with these ids (unknown ids are left out).
    pub async fn parties_named(&self, ids: &[PartyId]) -> Result<Vec<Party>, StoreError> {
        let mut wanted: Vec<&PartyId> = ids.iter().collect();
        wanted.sort();
        wanted.dedup();
        Ok(self.parties().await?.into_iter().filter(|p| wanted.binary_search(&&p.id).is_ok()).collect())
    }
}
