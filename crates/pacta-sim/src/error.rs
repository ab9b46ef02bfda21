//! The one error type of this crate: a setting that the model cannot run with.

use thiserror::Error;

/// Why a [`Settings`](crate::Settings) or [`Plan`](crate::Plan) was refused.
///
/// Every variant names the setting (`field`) in the words of the settings struct, so the CLI
/// can map it back to its flag, and carries the offending value as text.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SimError {
    /// A probability or rate outside `[0, 1]` (or not a number).
    #[error("{field} must be a probability in [0, 1], got {value}")]
    NotAProbability { field: &'static str, value: String },
    /// A payoff, multiplier or other real number that is NaN or infinite.
    #[error("{field} must be a finite number, got {value}")]
    NotFinite { field: &'static str, value: String },
    /// A count (runs, agents, chances, generations, ring degree) outside its range.
    #[error("{field} must be between {min} and {max}, got {value}")]
    OutOfRange {
        field: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    /// Anything else about a setting that makes the model undefined.
    #[error("{field} is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl SimError {
    /// The settings field the error is about (for example `"network"` or `"seen"`).
    pub fn field(&self) -> &'static str {
        match self {
            SimError::NotAProbability { field, .. }
            | SimError::NotFinite { field, .. }
            | SimError::OutOfRange { field, .. }
            | SimError::Invalid { field, .. } => field,
        }
    }
}

pub(crate) fn probability(field: &'static str, p: f64) -> Result<(), SimError> {
    // `contains` is false for NaN, which is what we want.
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(SimError::NotAProbability {
            field,
            value: p.to_string(),
        })
    }
}

pub(crate) fn finite(field: &'static str, x: f64) -> Result<(), SimError> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(SimError::NotFinite {
            field,
            value: x.to_string(),
        })
    }
}

pub(crate) fn in_range(
    field: &'static str,
    value: u64,
    min: u64,
    max: u64,
) -> Result<(), SimError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SimError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

/// The largest payoff magnitude accepted. Selection squares the differences of totals
/// summed over a generation's encounters; beyond this, those squares overflow to infinity
/// and selection silently stops (every agent gets one offspring).
pub const MAX_PAYOFF: f64 = 1e9;

pub(crate) fn payoff(field: &'static str, x: f64) -> Result<(), SimError> {
    finite(field, x)?;
    if x.abs() > MAX_PAYOFF {
        return Err(SimError::Invalid { field, reason: format!("{x} is beyond ±{MAX_PAYOFF:e}: payoffs that large overflow the selection's variance") });
    }
    Ok(())
}
