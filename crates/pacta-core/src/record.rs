//! The unit of import and of the incident write path: an incident together with the
//! claims, responses and external conclusions that arrived with it.

use crate::assessment::ExternalAssessment;
use crate::attribution::Attribution;
use crate::error::Invalid;
use crate::incident::Incident;
use crate::party::Party;
use crate::response::Response;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub incident: Incident,
    pub attributions: Vec<Attribution>,
    pub responses: Vec<Response>,
    /// Another coder's legal conclusions, if the source had any. Never read as facts.
    pub external: Option<ExternalAssessment>,
    /// Parties the claims and responses refer to, registered on first sight.
    pub parties: Vec<Party>,
    /// SHA-256 (hex) of the source rows this record was built from: re-importing the same
    /// rows is recognised as "unchanged", changed rows as an update.
    pub source_hash: Option<String>,
}

impl IncidentRecord {
    pub fn new(incident: Incident) -> Self {
        IncidentRecord { incident, attributions: vec![], responses: vec![], external: None, parties: vec![], source_hash: None }
    }

    /// Validates the incident and every attached record, and checks they all refer to this
    /// incident and to parties that are either listed here or already registered (the
    /// caller checks the latter).
    pub fn validate(&self) -> Result<(), Invalid> {
        self.incident.validate()?;
        let id = self.incident.id;
        for (i, a) in self.attributions.iter().enumerate() {
            a.validate().map_err(|e| e.within(format!("attributions[{i}]")))?;
            if a.incident != id {
                return Err(Invalid::new(format!("attributions[{i}].incident"), a.incident, "must be the incident it is filed with"));
            }
        }
        for (i, r) in self.responses.iter().enumerate() {
            r.validate().map_err(|e| e.within(format!("responses[{i}]")))?;
            if r.incident != id {
                return Err(Invalid::new(format!("responses[{i}].incident"), r.incident, "must be the incident it is filed with"));
            }
        }
        for (i, p) in self.parties.iter().enumerate() {
            p.validate().map_err(|e| e.within(format!("parties[{i}]")))?;
        }
        Ok(())
    }

    /// Re-homes the record under another incident id (an update keeps the stored id).
    pub fn set_incident_id(&mut self, id: crate::IncidentId) {
        self.incident.id = id;
        for a in &mut self.attributions {
            a.incident = id;
        }
        for r in &mut self.responses {
            r.incident = id;
        }
        if let Some(e) = &mut self.external {
            e.incident = Some(id);
        }
    }
}
