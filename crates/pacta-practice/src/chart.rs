//! The practice chart: per year, the incidents that engaged a norm, how many of them were
//! attributed, and how many drew a response, as grouped bars in a standalone SVG.
//!
//! Plain SVG 1.1 with inline styles and no script, so it can be written to a file, served
//! as `image/svg+xml` or inlined in a server-rendered page alike.

use crate::rates::{Rates, Series};
use std::fmt::Write;

const W: f64 = 820.0;
const H: f64 = 380.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 56.0;
const BOTTOM: f64 = 48.0;

/// The three bars of each year, with their colours (colour-blind-safe Okabe–Ito hues).
const BARS: [(&str, &str); 3] = [("engaged", "#999999"), ("attributed", "#0072B2"), ("responded", "#D55E00")];

/// Renders a series as grouped bars per dated year; undated incidents are left out of the
/// chart (their count is given in the caption). `title` is escaped.
pub fn render_svg(series: &Series, title: &str) -> String {
    // Every year from the first to the last, with empty ones as zero bars: skipping a
    // year without incidents would make the axis uneven and a trend look steeper.
    let dated: Vec<_> = series.years.iter().filter_map(|y| y.year.map(|year| (year, &y.rates))).collect();
    let zero = Rates::default();
    let years: Vec<(i32, &Rates)> = match (dated.first(), dated.last()) {
        (Some((a, _)), Some((b, _))) => (*a..=*b).map(|y| (y, dated.iter().find(|(d, _)| *d == y).map_or(&zero, |(_, r)| *r))).collect(),
        _ => Vec::new(),
    };
    let undated = series.years.iter().find(|y| y.year.is_none()).map_or(0, |y| y.rates.incidents);
    let max = years.iter().map(|(_, r)| r.incidents).max().unwrap_or(0);
    let (step, top) = axis(max);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y_of = |v: f64| TOP + plot_h - v / top * plot_h;

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(s, r##"<rect width="{W}" height="{H}" fill="#ffffff"/>"##);
    let _ = write!(s, r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{}</text>"#, escape(title));
    let caption = format!(
        "{} incidents: {} attributed, {} drew a response{}",
        series.total.incidents,
        series.total.attributed,
        series.total.responded,
        if undated > 0 { format!(" ({undated} undated, not shown)") } else { String::new() }
    );
    let _ = write!(s, r##"<text x="{LEFT}" y="40" fill="#444444">{}</text>"##, escape(&caption));

    // Legend, top right.
    for (k, (label, colour)) in BARS.iter().enumerate() {
        let x = W - RIGHT - 270.0 + k as f64 * 90.0;
        let _ = write!(s, r#"<rect x="{x}" y="30" width="12" height="12" fill="{colour}"/><text x="{}" y="40">{label}</text>"#, x + 16.0);
    }

    // Horizontal grid and the count axis.
    let mut v = 0.0;
    while v <= top + 1e-9 {
        let y = y_of(v);
        let _ = write!(s, r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e0e0e0"/>"##, W - RIGHT);
        let _ = write!(s, r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#444444">{}</text>"##, LEFT - 6.0, y + 4.0, v as u64);
        v += step;
    }
    let _ = write!(s, r##"<line x1="{LEFT}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#444444"/>"##, W - RIGHT, y_of(0.0), y_of(0.0));

    if years.is_empty() {
        let _ = write!(s, r##"<text x="{}" y="{}" text-anchor="middle" fill="#444444">no dated incidents</text>"##, LEFT + plot_w / 2.0, TOP + plot_h / 2.0);
    }
    let slot = plot_w / years.len().max(1) as f64;
    let bar = (slot * 0.8 / 3.0).min(24.0);
    // Label every year while they fit, otherwise every k-th, so labels never overlap.
    let label_every = ((34.0 / slot).ceil() as usize).max(1);
    for (k, (year, r)) in years.iter().enumerate() {
        let x0 = LEFT + k as f64 * slot + (slot - 3.0 * bar) / 2.0;
        for (b, (value, (label, colour))) in [r.incidents, r.attributed, r.responded].iter().zip(BARS).enumerate() {
            let y = y_of(*value as f64);
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{year}: {value} {label}</title></rect>"#,
                x0 + b as f64 * bar,
                bar - 1.0,
                y_of(0.0) - y
            );
        }
        if k % label_every == 0 {
            let _ = write!(s, r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444444">{year}</text>"##, LEFT + (k as f64 + 0.5) * slot, y_of(0.0) + 18.0);
        }
    }
    s.push_str("</svg>\n");
    s
}

/// A tick step of 1, 2 or 5 times a power of ten giving at most six ticks, and the axis top.
fn axis(max: u64) -> (f64, f64) {
    let max = max.max(1) as f64;
    let raw = max / 5.0;
    let pow = 10f64.powf(raw.log10().floor()).max(1.0);
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * pow).find(|s| *s >= raw).unwrap_or(10.0 * pow);
    (step, (max / step).ceil() * step)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(axis(0), (1.0, 1.0));
        assert_eq!(axis(7), (2.0, 8.0));
        assert_eq!(axis(130), (50.0, 150.0));
    }
}
