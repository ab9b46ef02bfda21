//! Bar charts as server-rendered SVG: no chart library, no script, nothing to download.
//!
//! Each chart is an `<svg role="img">` with a title and a description for screen readers;
//! each bar is a link to the incident list filtered to it and carries its count as a
//! tooltip. Pages show the same numbers as a table beside the chart, so nothing is
//! conveyed by the picture alone. Colours come from the stylesheet (classes), so the
//! charts follow its light and dark themes.

use std::fmt::Write;

/// One bar: its label, its value and where clicking it leads.
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub href: Option<String>,
}

/// Escapes text for HTML, SVG and XML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn open(out: &mut String, id: &str, title: &str, desc: &str, width: u32, height: u32) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
}

fn bar_open(out: &mut String, bar: &Bar) {
    if let Some(href) = &bar.href {
        let _ = write!(out, r#"<a href="{}">"#, esc(href));
    }
    let _ = write!(out, "<g class=\"bar\"><title>{}: {}</title>", esc(&bar.label), bar.value);
}

fn bar_close(out: &mut String, bar: &Bar) {
    out.push_str("</g>");
    if bar.href.is_some() {
        out.push_str("</a>");
    }
}

fn describe(bars: &[Bar]) -> String {
    let parts: Vec<String> = bars.iter().take(12).map(|b| format!("{} {}", b.label, b.value)).collect();
    let more = if bars.len() > 12 { format!(" and {} more", bars.len() - 12) } else { String::new() };
    format!("{}{more}.", parts.join(", "))
}

/// Horizontal bars, one row per category, largest first as given.
pub fn horizontal(id: &str, title: &str, bars: &[Bar]) -> String {
    const WIDTH: u32 = 600;
    const LABEL: u32 = 190;
    const ROW: u32 = 24;
    const VALUE_SPACE: u32 = 50;
    let height = (bars.len() as u32).max(1) * ROW + 8;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let mut out = String::new();
    open(&mut out, id, title, &describe(bars), WIDTH, height);
    if bars.is_empty() {
        out.push_str(r#"<text x="8" y="20" class="axis">No incidents</text>"#);
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = i as u32 * ROW + 4;
        let w = ((bar.value as f64 / max as f64) * f64::from(WIDTH - LABEL - VALUE_SPACE)).round().max(1.0);
        bar_open(&mut out, bar);
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" class="label" text-anchor="end">{}</text><rect x="{LABEL}" y="{}" width="{w}" height="{}" rx="2"/><text x="{}" y="{}" class="value">{}</text>"#,
            LABEL - 8,
            y + 15,
            esc(&truncate(&bar.label, 26)),
            y + 3,
            ROW - 6,
            f64::from(LABEL) + w + 6.0,
            y + 15,
            bar.value
        );
        bar_close(&mut out, bar);
    }
    out.push_str("</svg>");
    out
}

/// Vertical columns in the order given (years, oldest first).
pub fn columns(id: &str, title: &str, bars: &[Bar]) -> String {
    const WIDTH: u32 = 600;
    const HEIGHT: u32 = 240;
    const BOTTOM: u32 = 30;
    const TOP: u32 = 18;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let n = bars.len().max(1) as f64;
    let slot = f64::from(WIDTH - 20) / n;
    let bar_w = (slot * 0.75).max(2.0);
    // Label every k-th column so labels never overlap (about 34 px per label).
    let every = ((34.0 / slot).ceil() as usize).max(1);
    let mut out = String::new();
    open(&mut out, id, title, &describe(bars), WIDTH, HEIGHT);
    let base = HEIGHT - BOTTOM;
    let _ = write!(out, r#"<line x1="10" y1="{base}" x2="{}" y2="{base}" class="axis-line"/>"#, WIDTH - 10);
    if bars.is_empty() {
        out.push_str(r#"<text x="20" y="40" class="axis">No incidents</text>"#);
    }
    for (i, bar) in bars.iter().enumerate() {
        let x = 10.0 + i as f64 * slot + (slot - bar_w) / 2.0;
        let h = ((bar.value as f64 / max as f64) * f64::from(base - TOP)).round().max(1.0);
        let y = f64::from(base) - h;
        let cx = x + bar_w / 2.0;
        bar_open(&mut out, bar);
        let _ = write!(out, r#"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" rx="1"/>"#);
        if slot >= 22.0 {
            let _ = write!(out, r#"<text x="{cx:.1}" y="{:.1}" class="value" text-anchor="middle">{}</text>"#, y - 4.0, bar.value);
        }
        bar_close(&mut out, bar);
        if i % every == 0 {
            let _ = write!(out, r#"<text x="{cx:.1}" y="{}" class="axis" text-anchor="middle">{}</text>"#, base + 18, esc(&bar.label));
        }
    }
    out.push_str("</svg>");
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { s.chars().take(max - 1).collect::<String>() + "…" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_labels_and_scale_to_the_largest_bar() {
        let bars = vec![
            Bar { label: "<script>".into(), value: 10, href: Some("/incidents?a=1&b=2".into()) },
            Bar { label: "b".into(), value: 5, href: None },
        ];
        let svg = horizontal("x", "T & C", &bars);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;") && svg.contains("a=1&amp;b=2") && svg.contains("T &amp; C"));
        assert!(svg.contains(r#"width="360""#), "the largest bar fills the plot: {svg}");
        assert!(svg.contains(r#"width="180""#), "half the value, half the width: {svg}");
        let svg = columns("y", "Years", &bars);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
