//! RFC 8785 JSON Canonicalization Scheme (JCS): one byte string per JSON value.
//!
//! # Overview
//!
//! Log entries are hashed, so the same value must always serialise to the
//! same bytes. JCS fixes every free choice of JSON:
//!
//! - no whitespace between tokens;
//! - object members sorted by their names compared as UTF-16 code units
//!   (not UTF-8 bytes: the two orders differ above U+FFFF);
//! - strings escaped as ECMAScript's `JSON.stringify` does: `\"`, `\\`, the
//!   short escapes `\b \f \n \r \t`, other controls as `\u00xx` in lower-case
//!   hex, and everything else (including non-ASCII) as literal UTF-8;
//! - numbers as ECMAScript formats an IEEE-754 double: shortest round-trip
//!   digits, plain notation from 1e-6 up to but excluding 1e21, exponential
//!   (`1e+21`, `1.5e-7`) outside it, and `-0` written `0`.
//!
//! JCS numbers are doubles. An integer whose magnitude exceeds 2^53 cannot be
//! represented exactly, so it is refused rather than silently rounded.
//!
//! ```
//! use pacta_ledger::canonical::to_canonical_string;
//! let v = serde_json::json!({"b": [1.0, 2.5, 1e21], "a": "é\n"});
//! assert_eq!(to_canonical_string(&v).unwrap(), r#"{"a":"é\n","b":[1,2.5,1e+21]}"#);
//! ```

use serde_json::{Number, Value};

/// Largest integer magnitude a double holds exactly (2^53).
pub const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("number {0} is outside ±2^53 and would lose precision as a JSON double")]
    UnsafeInteger(String),
    #[error("number {0} is not finite")]
    NotFinite(String),
}

/// Canonical JSON bytes of `value`.
pub fn to_canonical_vec(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    Ok(to_canonical_string(value)?.into_bytes())
}

/// Canonical JSON text of `value`.
pub fn to_canonical_string(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // Sort by UTF-16 code units, as RFC 8785 section 3.2.3 requires.
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) -> Result<(), CanonicalError> {
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(CanonicalError::UnsafeInteger(n.to_string()));
        }
        out.push_str(&u.to_string());
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(CanonicalError::UnsafeInteger(n.to_string()));
        }
        out.push_str(&i.to_string());
    } else {
        let f = n.as_f64().ok_or_else(|| CanonicalError::NotFinite(n.to_string()))?;
        out.push_str(&format_f64(f)?);
    }
    Ok(())
}

/// Format a double as ECMAScript's `Number.prototype.toString` does
/// (ECMA-262, Number::toString), which RFC 8785 adopts.
pub fn format_f64(f: f64) -> Result<String, CanonicalError> {
    if !f.is_finite() {
        return Err(CanonicalError::NotFinite(f.to_string()));
    }
    if f == 0.0 {
        return Ok("0".to_owned());
    }
    // Rust's `{:e}` gives the shortest digit count k that round-trips, as
    // ECMAScript requires ("d.ddde±x"). When two k-digit strings round-trip,
    // ECMAScript wants the one closest to the exact binary value, ties to the
    // even digit; Rust's shortest mode may pick the other one (0x43143ff3c1cb0959
    // is exactly ...206.25: ECMAScript says ...206.2). Rust's fixed-precision
    // mode rounds the exact value correctly, so redo it with k digits and keep
    // that answer when it still round-trips.
    let a = f.abs();
    let shortest = format!("{a:e}");
    let k_shortest = shortest.split('e').next().unwrap_or("").chars().filter(char::is_ascii_digit).count();
    let closest = format!("{:.*e}", k_shortest.saturating_sub(1), a);
    let sci = if closest.parse::<f64>() == Ok(a) { closest } else { shortest };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mut digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    // ECMAScript's n: the value is 0.digits × 10^n.
    let n = exp + 1;
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&(n - 1).abs().to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            assert_eq!(format_f64(f64::from_bits(*bits)).unwrap(), *want, "{bits:016x}");
        }
        assert!(format_f64(f64::NAN).is_err());
        assert!(format_f64(f64::INFINITY).is_err());
    }
}
