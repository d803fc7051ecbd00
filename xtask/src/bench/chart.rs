//! An SVG line chart of settle latency (p50, p99) against offered rate, with
//! a logarithmic latency axis (idle milliseconds and overloaded seconds fit
//! on one chart), written by hand: no plotting dependency.

use std::fmt::Write as _;

/// One offered rate and its settle latency percentiles, in ms.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;

/// The chart; `target` draws a dashed horizontal line (ms, label).
pub fn latency_svg(points: &[Point], title: &str, target: Option<(f64, &str)>) -> String {
    let mut points: Vec<&Point> = points
        .iter()
        .filter(|point| point.rate > 0.0 && point.p50_ms > 0.0 && point.p99_ms > 0.0)
        .collect();
    points.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let max_rate = points.iter().map(|point| point.rate).fold(0.0, f64::max);
    let x_max = nice_ceiling(max_rate.max(1.0));
    let highest = points
        .iter()
        .map(|point| point.p99_ms)
        .chain(target.map(|(ms, _)| ms))
        .fold(1.0, f64::max);
    let lowest = points
        .iter()
        .map(|point| point.p50_ms)
        .fold(highest, f64::min);
    let (decade_low, decade_high) = (
        lowest.log10().floor() as i32,
        highest.log10().ceil().max(lowest.log10().floor() + 1.0) as i32,
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |rate: f64| LEFT + rate / x_max * plot_w;
    let y = |ms: f64| {
        let span = f64::from(decade_high - decade_low);
        TOP + plot_h - (ms.log10() - f64::from(decade_low)) / span * plot_h
    };

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
        r#"<text x="{}" y="22" text-anchor="middle" font-size="14">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    // Latency gridlines: 1, 2, 5 × each decade.
    for decade in decade_low..decade_high {
        for step in [1.0, 2.0, 5.0] {
            let ms = step * 10f64.powi(decade);
            let at = y(ms);
            let (stroke, label) = if step == 1.0 {
                ("#bbb", true)
            } else {
                ("#eee", false)
            };
            let _ = writeln!(
                svg,
                r#"<line x1="{LEFT}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}" stroke="{stroke}"/>"#,
                WIDTH - RIGHT
            );
            if label {
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                    LEFT - 6.0,
                    at + 4.0,
                    milliseconds(ms)
                );
            }
        }
    }
    let top_label = 10f64.powi(decade_high);
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        LEFT - 6.0,
        y(top_label) + 4.0,
        milliseconds(top_label)
    );
    // Rate ticks.
    for tick in 0..=5 {
        let rate = x_max * f64::from(tick) / 5.0;
        let at = x(rate);
        let _ = writeln!(
            svg,
            r##"<line x1="{at:.1}" y1="{TOP}" x2="{at:.1}" y2="{:.1}" stroke="#eee"/>"##,
            TOP + plot_h
        );
        let _ = writeln!(
            svg,
            r#"<text x="{at:.1}" y="{:.1}" text-anchor="middle">{rate:.0}</text>"#,
            TOP + plot_h + 18.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">offered orders/s (open loop)</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 16.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">settle latency, 202 → FINISHED/CANCELLED seen (log scale)</text>"#,
        TOP + plot_h / 2.0
    );
    if let Some((ms, label)) = target {
        let at = y(ms);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}" stroke="#888" stroke-dasharray="6 4"/>"##,
            WIDTH - RIGHT
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#666">{}</text>"##,
            WIDTH - RIGHT - 4.0,
            at - 5.0,
            escape(label)
        );
    }
    for (name, color, value) in [
        (
            "p50",
            "#1f77b4",
            (|point: &Point| point.p50_ms) as fn(&Point) -> f64,
        ),
        ("p99", "#d62728", |point: &Point| point.p99_ms),
    ] {
        let path: Vec<String> = points
            .iter()
            .map(|point| format!("{:.1},{:.1}", x(point.rate), y(value(point))))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        for point in &points {
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"><title>{name} at {:.0}/s: {:.1} ms</title></circle>"#,
                x(point.rate),
                y(value(point)),
                point.rate,
                value(point)
            );
        }
    }
    // Legend.
    for (index, (name, color)) in [("settle p50", "#1f77b4"), ("settle p99", "#d62728")]
        .into_iter()
        .enumerate()
    {
        let top = TOP + 12.0 + 18.0 * index as f64;
        let _ = writeln!(
            svg,
            r#"<line x1="{:.1}" y1="{top:.1}" x2="{:.1}" y2="{top:.1}" stroke="{color}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{name}</text>"#,
            LEFT + 12.0,
            LEFT + 36.0,
            LEFT + 42.0,
            top + 4.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// 1, 2, 5 × 10ⁿ at or above `value`.
fn nice_ceiling(value: f64) -> f64 {
    let decade = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * decade)
        .find(|candidate| *candidate >= value)
        .unwrap_or(10.0 * decade)
}

fn milliseconds(ms: f64) -> String {
    if ms >= 1_000.0 {
        format!("{} s", ms / 1_000.0)
    } else if ms >= 1.0 {
        format!("{ms} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points() -> Vec<Point> {
        vec![
            Point {
                rate: 400.0,
                p50_ms: 900.0,
                p99_ms: 4_000.0,
            },
            Point {
                rate: 50.0,
                p50_ms: 12.0,
                p99_ms: 40.0,
            },
            Point {
                rate: 200.0,
                p50_ms: 18.0,
                p99_ms: 60.0,
            },
        ]
    }

    #[test]
    fn the_chart_draws_each_rate_once_per_percentile_in_rate_order() {
        let svg = latency_svg(&points(), "settle latency", Some((150.0, "target")));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 6);
        assert_eq!(svg.matches("<polyline").count(), 2);
        // The x axis runs 0..500 (a nice ceiling over 400): 50/s sits at a
        // tenth of the plot's width, 400/s at eight tenths.
        let plot_w = WIDTH - LEFT - RIGHT;
        let first = format!("{:.1},", LEFT + plot_w * 0.1);
        let last = format!("{:.1},", LEFT + plot_w * 0.8);
        let p50_line = svg
            .lines()
            .find(|line| line.contains("<polyline") && line.contains("#1f77b4"))
            .expect("a p50 line");
        let at_first = p50_line.find(&first).expect("50/s on the line");
        let at_last = p50_line.find(&last).expect("400/s on the line");
        assert!(at_first < at_last, "{p50_line}");
        assert!(svg.contains("stroke-dasharray"), "the target line");
    }

    #[test]
    fn a_slower_point_is_drawn_higher_and_the_axis_spans_whole_decades() {
        let svg = latency_svg(&points(), "t", None);
        // Decades 10 ms .. 10 s: labels at 10 ms, 100 ms, 1 s and 10 s.
        for label in ["10 ms", "100 ms", "1 s", "10 s"] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label}");
        }
        assert!(!svg.contains(">1 ms</text>"));
        let y_of = |rate: &str, name: &str| -> f64 {
            let line = svg
                .lines()
                .find(|line| line.contains(&format!("{name} at {rate}/s")))
                .expect("a point");
            let cy = line.split("cy=\"").nth(1).expect("cy");
            cy[..cy.find('"').expect("end")].parse().expect("a number")
        };
        assert!(y_of("400", "p99") < y_of("400", "p50"));
        assert!(y_of("400", "p50") < y_of("200", "p50"));
    }

    #[test]
    fn nice_ceilings_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_ceiling(400.0), 500.0);
        assert_eq!(nice_ceiling(150.0), 200.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
    }
}
