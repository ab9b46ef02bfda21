//! Text and SVG views of a [`Summary`]. Pure functions: they return a `String` and do no I/O.

use std::fmt::Write as _;

use crate::experiment::Summary;
use crate::settings::{Deviation, Game, Network, OnEqual, Punish, Refill, Seen, Selection};

fn game_name(game: Game) -> &'static str {
    match game {
        Game::Norms => "norms",
        Game::Metanorms => "metanorms",
    }
}

/// One line describing every setting, in the CLI's vocabulary.
pub fn describe_settings(summary: &Summary) -> String {
    let s = &summary.settings;
    let p = &s.payoffs;
    let seen = match s.seen {
        Seen::Uniform => "uniform".to_string(),
        Seen::Fixed(x) => format!("fixed {x}"),
    };
    let punish = match s.punish {
        Punish::Vengefulness => "vengefulness".to_string(),
        Punish::Scaled(m) => format!("vengefulness × {m}"),
        Punish::Fixed(q) => format!("fixed {q}"),
    };
    let selection = match s.selection {
        Selection::MeanSd {
            deviation: Deviation::Population,
        } => "mean±sd (population sd)",
        Selection::MeanSd {
            deviation: Deviation::Sample,
        } => "mean±sd (sample sd)",
        Selection::Roulette => "roulette",
    };
    let refill = match s.refill {
        Refill::Random => "random",
        Refill::Fittest => "fittest",
    };
    let on_equal = match s.on_equal {
        OnEqual::Drift => "drift",
        OnEqual::Keep => "keep",
    };
    let network = match &s.network {
        Network::WellMixed => "well-mixed".to_string(),
        Network::Ring { degree } => format!("ring:{degree}"),
        Network::Random { p } => format!("random:{p}"),
        Network::Edges { edges } => format!("{} given edges", edges.len()),
    };
    format!(
        "{} agents, {} chances; seen {seen}; punish {punish}; T {} H {} P {} E {} P' {} E' {}; \
         mutation {}; selection {selection}; refill {refill}; on-equal {on_equal}; network {network}",
        s.agents,
        s.chances,
        p.temptation,
        p.hurt,
        p.punishment,
        p.enforcement,
        p.meta_punishment,
        p.meta_enforcement,
        s.mutation,
    )
}

/// A plain-text report: the settings, the last generation, and the series at up to eleven
/// evenly spaced generations.
pub fn render_table(summary: &Summary) -> String {
    let plan = &summary.plan;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Axelrod {} game: {} runs x {} generations, seed {}",
        game_name(summary.settings.game),
        plan.runs,
        plan.generations,
        plan.seed
    );
    let _ = writeln!(out, "settings: {}", describe_settings(summary));
    let _ = writeln!(out);
    let _ = writeln!(out, "last generation");
    let _ = writeln!(
        out,
        "  established (B <= 2/7, V >= 5/7)  {:>8.3}",
        summary.established
    );
    let _ = writeln!(
        out,
        "  collapsed   (B >= 6/7, V <= 1/7)  {:>8.3}",
        summary.collapsed
    );
    let _ = writeln!(
        out,
        "  mean boldness                     {:>8.3}",
        summary.mean_boldness
    );
    let _ = writeln!(
        out,
        "  mean vengefulness                 {:>8.3}",
        summary.mean_vengefulness
    );
    let _ = writeln!(
        out,
        "  generations per second            {:>8.0}  ({:.2} s)",
        summary.generations_per_second, summary.elapsed_seconds
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>10}  {:>7}  {:>7}  {:>11}  {:>9}",
        "generation", "mean B", "mean V", "established", "collapsed"
    );
    let s = &summary.series;
    for g in sample_points(plan.generations, 10) {
        let _ = writeln!(
            out,
            "{:>10}  {:>7.3}  {:>7.3}  {:>11.3}  {:>9.3}",
            g, s.mean_boldness[g], s.mean_vengefulness[g], s.established[g], s.collapsed[g]
        );
    }
    out
}

/// `steps + 1` generations from 0 to `last`, evenly spaced, without repeats.
fn sample_points(last: usize, steps: usize) -> Vec<usize> {
    let mut points: Vec<usize> = (0..=steps).map(|k| k * last / steps).collect();
    points.dedup();
    points
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 190.0;
const TOP_MARGIN: f64 = 50.0;
const BOTTOM: f64 = 50.0;

/// An SVG line chart over generations: mean boldness and vengefulness (solid) with the share
/// of runs established and collapsed (dashed), all on a 0–1 axis.
pub fn render_svg(summary: &Summary) -> String {
    let plan = &summary.plan;
    let last = plan.generations.max(1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP_MARGIN - BOTTOM;
    let x = |g: usize| LEFT + plot_w * g as f64 / last;
    let y = |v: f64| TOP_MARGIN + plot_h * (1.0 - v.clamp(0.0, 1.0));

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="28" font-size="15">Axelrod {} game: {} runs, seed {}</text>"#,
        game_name(summary.settings.game),
        plan.runs,
        plan.seed
    );
    // Horizontal grid and y labels.
    for k in 0..=4 {
        let v = k as f64 / 4.0;
        let yy = y(v);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{v:.2}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    // x ticks.
    for g in sample_points(plan.generations, 5) {
        let xx = x(g);
        let _ = writeln!(
            svg,
            r##"<line x1="{xx:.1}" y1="{:.1}" x2="{xx:.1}" y2="{:.1}" stroke="#444"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{g}</text>"##,
            TOP_MARGIN + plot_h,
            TOP_MARGIN + plot_h + 5.0,
            TOP_MARGIN + plot_h + 19.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP_MARGIN}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>"##
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">generation</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0
    );

    // At most ~1,000 vertices per line: more than the pixels across, and it keeps the file
    // small for 10,000-generation runs.
    let stride = (plan.generations / 1000).max(1);
    let mut points: Vec<usize> = (0..=plan.generations).step_by(stride).collect();
    if points.last() != Some(&plan.generations) {
        points.push(plan.generations);
    }
    let s = &summary.series;
    let lines: [(&str, &[f64], &str, &str); 4] = [
        ("mean boldness", &s.mean_boldness, "#d62728", ""),
        ("mean vengefulness", &s.mean_vengefulness, "#1f77b4", ""),
        (
            "share established",
            &s.established,
            "#2ca02c",
            r#" stroke-dasharray="6 4""#,
        ),
        (
            "share collapsed",
            &s.collapsed,
            "#7f7f7f",
            r#" stroke-dasharray="2 3""#,
        ),
    ];
    for (k, (label, values, colour, dash)) in lines.iter().enumerate() {
        let mut path = String::new();
        for (i, &g) in points.iter().enumerate() {
            let _ = write!(
                path,
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                x(g),
                y(values[g])
            );
        }
        let _ = writeln!(
            svg,
            r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#
        );
        let ly = TOP_MARGIN + 10.0 + 22.0 * k as f64;
        let lx = LEFT + plot_w + 14.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{label}</text>"#,
            lx + 26.0,
            lx + 32.0,
            ly + 4.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}
