//! The report of a bench run: the generated part of docs/benchmarks.md and
//! the chart.

use std::fmt::Write as _;

use super::{LoadRun, Results, chart};

/// Where the generated part of docs/benchmarks.md starts and ends, one
/// part per kind of run (`--report`, `--report --no-fsync`).
fn markers(tag: &str) -> (String, String) {
    (
        format!("<!-- cargo xtask bench --report{tag}: begin (generated; edit around it) -->"),
        format!("<!-- cargo xtask bench --report{tag}: end -->"),
    )
}

/// `""` for a durable run, `" --no-fsync"` for the other.
pub fn tag(results: &Results) -> &'static str {
    if results.flags.durable {
        ""
    } else {
        " --no-fsync"
    }
}

/// The end of the names of a run's files: `results{suffix}.json`.
pub fn suffix(results: &Results) -> &'static str {
    if results.flags.durable {
        ""
    } else {
        "-no-fsync"
    }
}

/// The chart of settle latency against offered rate (open loop runs).
pub fn chart(results: &Results) -> String {
    let points: Vec<chart::Point> = results
        .runs
        .iter()
        .filter(|run| run.kind == "open")
        .filter_map(|run| {
            Some(chart::Point {
                rate: run.rate?,
                p50_ms: run.number(&["settle_ms", "p50"]),
                p99_ms: run.number(&["settle_ms", "p99"]),
            })
        })
        .collect();
    chart::latency_svg(
        &points,
        &format!(
            "orderflow settle latency against offered rate ({}, {} cores)",
            results.date, results.machine.cores
        ),
        Some((150.0, "target: p99 < 150 ms at 200/s")),
    )
}

/// Puts `generated` between the markers of `tag` in `page`, or appends it
/// with them.
pub fn splice(page: &str, generated: &str, tag: &str) -> String {
    let (begin_marker, end_marker) = markers(tag);
    let block = format!("{begin_marker}\n{}\n{end_marker}", generated.trim_end());
    match (page.find(&begin_marker), page.find(&end_marker)) {
        (Some(begin), Some(end)) if begin < end => {
            format!(
                "{}{block}{}",
                &page[..begin],
                &page[end + end_marker.len()..]
            )
        }
        _ => format!("{}\n\n{block}\n", page.trim_end()),
    }
}

fn ms(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{:.1} s", value / 1_000.0)
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Milliseconds with their unit: `46.9 ms`, `14.7 s`.
fn with_unit(value: f64) -> String {
    let text = ms(value);
    if text.ends_with(" s") {
        text
    } else {
        format!("{text} ms")
    }
}

fn errors(run: &LoadRun) -> String {
    match run.report["errors"].as_object() {
        Some(errors) if errors.is_empty() => "0".to_owned(),
        Some(errors) => errors
            .iter()
            .map(|(kind, count)| format!("{count} × {kind}"))
            .collect::<Vec<_>>()
            .join(", "),
        None => "?".to_owned(),
    }
}

fn invariants(run: &LoadRun) -> String {
    let checks = run.report["invariants"]["checks"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    let mut held = if run.loadgen_ok {
        format!("{checks} of loadgen held")
    } else {
        "loadgen's FAILED".to_owned()
    };
    let _ = write!(
        held,
        "; outbox {} unpublished, lag {}",
        run.unpublished_outbox_rows,
        run.consumer_lag
            .map_or_else(|| "not reported".to_owned(), |lag| lag.to_string())
    );
    held
}

/// The generated part of docs/benchmarks.md.
pub fn markdown(results: &Results) -> String {
    let mut out = String::new();
    let machine = &results.machine;
    let _ = writeln!(
        out,
        "## Report of {}{}\n",
        results.date,
        if results.flags.durable {
            ""
        } else {
            ", PostgreSQL without fsync"
        }
    );
    let _ = writeln!(
        out,
        "`cargo xtask bench --report{}` on {} cores ({}), {} GiB, Linux {}: PostgreSQL 15 ({}), \
         Kafka, Jaeger (keeping the last {} traces) and the release builds of orders, payments \
         and the gateway (every span exported to Jaeger), loadgen and pgbench on the same box; \
         {} users, 10 % of the orders \
         by users without money; {} s of load at {}/s first, not reported (a fresh Kafka's \
         JVM warming up). The whole run took {:.0} s.",
        if results.flags.durable {
            ""
        } else {
            " --no-fsync"
        },
        machine.cores,
        machine.cpu,
        machine.memory_gib,
        machine.kernel,
        if results.flags.durable {
            "durable, fsync on, as `cargo xtask run` keeps it"
        } else {
            "the tests' throwaway cluster: fsync off, each commit still written to the OS"
        },
        super::system::JAEGER_MAX_TRACES,
        super::USERS,
        results.flags.warm_up_seconds,
        super::WARM_UP_RATE,
        results.elapsed_secs
    );
    let settings = if results.service_settings.is_empty() {
        "the services' defaults".to_owned()
    } else {
        results
            .service_settings
            .iter()
            .map(|(name, value)| format!("`{name}={value}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "Settings: {settings}.\n");
    let _ = writeln!(
        out,
        "Load average at the start and the end: `{}`. Busiest processes at the start (%CPU over \
         their lifetime): {}.\n",
        machine.load_average.join("` / `"),
        machine
            .alongside
            .first()
            .map(|list| list.join("; "))
            .unwrap_or_default()
    );

    let _ = writeln!(out, "### Targets\n");
    let _ = writeln!(out, "| target | measured | met |\n|---|---|---|");
    // Open loop: the attempt that held, else the last one tried.
    let attempts = || {
        results
            .runs
            .iter()
            .filter(|run| run.kind == "sustained" && run.rate.is_some())
    };
    let open = attempts()
        .find(|run| run.held())
        .or_else(|| attempts().next_back());
    let closed = results
        .runs
        .iter()
        .find(|run| run.kind == "sustained" && run.concurrency.is_some());
    for (how, run) in [
        ("open loop, the highest offered rate that held", open),
        ("closed loop, the busiest concurrency", closed),
    ] {
        let target = format!(
            "settled ≥ 0.5 × ceiling for {} s, no errors ({how})",
            results.flags.sustain_seconds
        );
        let Some(run) = run else {
            let _ = writeln!(out, "| {target} | not run | no |");
            continue;
        };
        let settled = run.number(&["settled_per_sec"]);
        let ratio = settled / results.ceiling;
        let load = match (run.rate, run.concurrency) {
            (Some(rate), _) => format!("{rate}/s offered"),
            (None, Some(clients)) => format!("{clients} clients"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "| {target} | {settled:.1}/s at {load} = {ratio:.2} × {:.0}/s; errors {} | {} |",
            results.ceiling,
            errors(run),
            yes(ratio >= 0.5 && run.held())
        );
    }
    match results
        .runs
        .iter()
        .find(|run| run.kind == "open" && run.rate == Some(200.0))
    {
        Some(run) => {
            let p99 = run.number(&["settle_ms", "p99"]);
            let _ = writeln!(
                out,
                "| settle p99 < 150 ms at 200/s | {} | {} |",
                with_unit(p99),
                yes(p99 < 150.0 && run.clean())
            );
        }
        None => {
            let _ = writeln!(out, "| settle p99 < 150 ms at 200/s | not run | — |");
        }
    }
    for (kind, how) in [
        ("idle", "event stream"),
        ("idle-polled", "polled every 2 ms"),
    ] {
        if let Some(run) = results.runs.iter().find(|run| run.kind == kind) {
            let p50 = run.number(&["settle_ms", "p50"]);
            let _ = writeln!(
                out,
                "| idle settle median < 20 ms ({how}) | {} | {} |",
                with_unit(p50),
                yes(p50 < 20.0)
            );
        }
    }

    let _ = writeln!(out, "\n### The database ceiling\n");
    let _ = writeln!(
        out,
        "pgbench runs `bench/order.sql`: one order's writes as the services make them (five \
         transactions: the order with its outbox row and idempotency key; the orders relay's \
         claim and mark; payments' inbox row, check, conditional debit, payment row and outbox \
         row; the payments relay's claim and mark; orders' inbox row and status update), on \
         copies of the services' tables (triggers included) in the same cluster, prepared \
         statements, {} s per run. The ceiling is the best of the runs whose relays claim up \
         to 10 rows.\n",
        results.flags.ceiling_seconds
    );
    let _ = writeln!(
        out,
        "| clients | relay claim | orders/s | ms per order (5 transactions) | failed |\n|---|---|---|---|---|"
    );
    for run in &results.ceiling_runs {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.1} | {} |",
            run.clients,
            if run.relay_batch == 1 {
                "1 row per order".to_owned()
            } else {
                format!("≤ {} rows", run.relay_batch)
            },
            run.orders_per_sec,
            run.latency_avg_ms,
            run.failed
        );
    }
    let _ = writeln!(out, "\nCeiling: **{:.0} orders/s**.\n", results.ceiling);

    let _ = writeln!(out, "### Load\n");
    let _ = writeln!(
        out,
        "loadgen follows each order through its event stream (`GET /api/orders/{{id}}/events`). \
         Settled/s counts from the first order to the last one settled; settle latency is from \
         the 202 to the final state seen. After each run: loadgen's invariants (every order \
         settled; users without money CANCELLED, the others FINISHED; every balance exact), no \
         unpublished outbox row, consumer lag 0. An offered rate held when those passed, \
         orders were accepted at ≥ 0.97 × and settled at ≥ 0.95 × the rate, the last settled \
         within 2 s of the end of the offering, and the settle p50, over the run and over its \
         last {:.0} s, was at most {:.0} ms (no standing queue); the ladder stops at the first \
         rate that did not hold.\n",
        super::load::END_SECS,
        super::load::MAX_QUEUED_P50_MS
    );
    let _ = writeln!(
        out,
        "| load | accepted/s | settled/s | × ceiling | create p50 / p99 ms | settle p50 / p90 / p99 / max ms | errors | checks |\n|---|---|---|---|---|---|---|---|"
    );
    for run in &results.runs {
        let settled = run.number(&["settled_per_sec"]);
        let _ = writeln!(
            out,
            "| {}{} | {:.1} | {:.1} | {:.2} | {} / {} | {} / {} / {} / {} | {} | {} |",
            run.report["load"].as_str().unwrap_or("?"),
            match (run.kind, run.rate.is_some() && !run.held()) {
                ("sustained", false) =>
                    format!(", {} s (sustained)", results.flags.sustain_seconds),
                ("sustained", true) => format!(
                    ", {} s (sustained), did not hold",
                    results.flags.sustain_seconds
                ),
                (_, true) => ", did not hold".to_owned(),
                _ => String::new(),
            },
            run.number(&["accepted_per_sec"]),
            settled,
            settled / results.ceiling,
            ms(run.number(&["create_ms", "p50"])),
            ms(run.number(&["create_ms", "p99"])),
            ms(run.number(&["settle_ms", "p50"])),
            ms(run.number(&["settle_ms", "p90"])),
            ms(run.number(&["settle_ms", "p99"])),
            ms(run.number(&["settle_ms", "max"])),
            errors(run),
            invariants(run)
        );
    }
    let _ = writeln!(
        out,
        "\n![settle latency against offered rate](bench/latency{suffix}.svg)\n\nRaw figures: \
         [bench/results{suffix}.json](bench/results{suffix}.json).",
        suffix = suffix(results)
    );
    out
}

fn yes(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_part_replaces_the_previous_one_and_keeps_the_text_around_it() {
        let first = splice("# Benchmarks\n\nHand-written.\n", "## Report 1\n", "");
        assert!(first.starts_with("# Benchmarks\n\nHand-written.\n\n"));
        assert!(first.contains("## Report 1"));
        let page = format!("{first}\n## Notes\n\nMore.\n");
        let second = splice(&page, "## Report 2\n", "");
        assert!(!second.contains("Report 1"), "{second}");
        assert!(second.contains("## Report 2"));
        assert!(second.starts_with("# Benchmarks\n\nHand-written.\n"));
        assert!(second.ends_with("## Notes\n\nMore.\n"));
        assert_eq!(second.matches(&markers("").0).count(), 1);
        // A run of the other kind has its own part.
        let both = splice(&second, "## Report 3\n", " --no-fsync");
        assert!(both.contains("## Report 2") && both.contains("## Report 3"));
    }
}
