//! `cargo xtask bench --report`: issue 12's benchmark in one run, against
//! release builds on this machine. It starts PostgreSQL (durable), Kafka,
//! Jaeger and the three services, then
//!
//! 1. measures the database ceiling: pgbench running one order's writes
//!    (`bench/order.sql`) on copies of the services' tables in the same
//!    cluster, at a few client counts; then drops the copies and has
//!    PostgreSQL checkpoint, so the load runs do not pay for them;
//! 2. runs loadgen: one order at a time (idle settle latency), open loop at
//!    a few offered rates, closed loop at a few concurrencies, then the
//!    highest rate that held for [`Flags::sustain_seconds`] (a rate that
//!    falls behind there gives way to the next one down, up to
//!    [`SUSTAIN_TRIES`] rates), and the closed loop that settled the most,
//!    for as long; after each run loadgen's invariants and the system's own
//!    (no unpublished outbox row, consumer lag 0) are checked;
//! 3. writes `docs/bench/results.json`, `docs/bench/latency.svg` and the
//!    generated part of `docs/benchmarks.md`.

mod ceiling;
mod chart;
mod flags;
mod load;
mod machine;
mod profile;
mod report;
mod system;

use std::{path::PathBuf, process::ExitCode, time::Instant};

use anyhow::{Context, bail};
use orderflow_devstack::install;
use serde::Serialize;

use crate::{signals, tools};
pub use ceiling::CeilingRun;
pub use flags::Flags;
pub use load::LoadRun;
use load::{Loadgen, checked};
use system::System;

/// Users loadgen and pgbench spread their orders over.
const USERS: usize = 20;

/// Orders per second of the warm-up ([`Flags::warm_up_seconds`]).
const WARM_UP_RATE: u32 = 250;

/// Whether `cargo xtask bench` was asked for this report rather than for
/// `cargo bench`.
pub fn requested(args: &[String]) -> bool {
    args.first().is_some_and(|arg| arg == "--report")
}

/// How many of the rates that held in the ladder the sustained run tries,
/// highest first, before it gives up.
const SUSTAIN_TRIES: usize = 5;

/// Everything one report run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Results {
    pub date: String,
    pub machine: machine::Machine,
    pub flags: Flags,
    /// Settings the services ran with beyond their defaults.
    pub service_settings: Vec<(String, String)>,
    pub ceiling_runs: Vec<CeilingRun>,
    /// The highest orders/s pgbench reached (relay claims batched).
    pub ceiling: f64,
    pub runs: Vec<LoadRun>,
    /// Seconds the whole run took, builds excluded.
    pub elapsed_secs: f64,
}

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    signals::install();
    let flags = Flags::parse(args)?;
    let root = tools::workspace_root();
    install::ensure_kafka()?;
    install::ensure_jaeger()?;
    tools::run_cargo(
        &root,
        // The same build as plain `cargo xtask bench`: one set of artifacts.
        &["build", "--release", "--workspace", "--bins"],
        "building the release binaries",
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let binaries = target.join("release");
    let work = target.join("bench");
    std::fs::create_dir_all(&work)?;

    let started = Instant::now();
    let machine_before = machine::Machine::now();
    eprintln!("xtask: starting PostgreSQL, Kafka, Jaeger and the services (release)");
    let mut system = System::start(&binaries, &work.join("logs"), flags.durable)?;
    eprintln!(
        "xtask: ready after {:.0?}; gateway {}",
        started.elapsed(),
        system.gateway_url
    );

    let script = root.join("bench").join("order.sql");
    eprintln!(
        "xtask: the database ceiling (pgbench, {})",
        script.display()
    );
    ceiling::prepare(
        &system.orders_db,
        &system.payments_db,
        &system.ceiling_db,
        USERS,
    )?;
    let mut ceiling_runs = Vec::new();
    for &clients in &flags.ceiling_clients {
        stop_if_asked()?;
        let run = ceiling::pgbench(
            &system.ceiling_db,
            &script,
            clients,
            10,
            USERS,
            flags.ceiling_seconds,
        )?;
        eprintln!(
            "xtask:   {clients:>3} clients: {:.0} orders/s ({:.1} ms per order)",
            run.orders_per_sec, run.latency_avg_ms
        );
        ceiling_runs.push(run);
    }
    let best = ceiling_runs
        .iter()
        .max_by(|a, b| a.orders_per_sec.total_cmp(&b.orders_per_sec))
        .map(|run| (run.clients, run.orders_per_sec))
        .context("no pgbench run")?;
    let unbatched = ceiling::pgbench(
        &system.ceiling_db,
        &script,
        best.0,
        1,
        USERS,
        flags.ceiling_seconds,
    )?;
    eprintln!(
        "xtask:   {:>3} clients, a relay claim per order: {:.0} orders/s",
        best.0, unbatched.orders_per_sec
    );
    ceiling_runs.push(unbatched);
    let ceiling = best.1;
    ceiling::clear(&system.ceiling_db)?;

    let loadgen = Loadgen {
        binary: binaries.join("loadgen"),
        gateway: system.gateway_url.clone(),
        json: work.join("loadgen.json"),
    };
    let mut runs = Vec::new();
    eprintln!(
        "xtask: warming up (loadgen, {} s at {WARM_UP_RATE}/s; not reported)",
        flags.warm_up_seconds
    );
    loadgen.open_loop(WARM_UP_RATE.into(), flags.warm_up_seconds)?;

    eprintln!(
        "xtask: idle settle latency, {} orders one at a time",
        flags.idle_orders
    );
    let idle = loadgen.run(&[
        "--wait-settled",
        "--orders",
        &flags.idle_orders.to_string(),
        "--duration",
        "120",
    ])?;
    runs.push(checked(&mut system, "idle", None, None, idle)?);
    eprintln!("xtask: the same, each order polled every 2 ms instead of its event stream");
    let idle_polled = loadgen.run(&[
        "--wait-settled",
        "--poll",
        "2",
        "--orders",
        &flags.idle_orders.to_string(),
        "--duration",
        "120",
    ])?;
    runs.push(checked(
        &mut system,
        "idle-polled",
        None,
        None,
        idle_polled,
    )?);

    let mut rates = flags.rates.clone();
    rates.sort_by(f64::total_cmp);
    for (index, &rate) in rates.iter().enumerate() {
        stop_if_asked()?;
        let previous_failed = index > 0
            && runs
                .last()
                .is_some_and(|run: &LoadRun| run.kind == "open" && !run.held());
        if previous_failed {
            // A backlog only grows from here: higher rates would take minutes
            // to drain and tell nothing new.
            eprintln!(
                "xtask: skipping {:?} orders/s: {} did not hold",
                &rates[index..],
                rates[index - 1]
            );
            break;
        }
        eprintln!("xtask: open loop, {rate}/s for {} s", flags.seconds);
        let report = loadgen.open_loop(rate, flags.seconds)?;
        runs.push(checked(&mut system, "open", Some(rate), None, report)?);
    }
    for &clients in &flags.concurrencies {
        stop_if_asked()?;
        eprintln!(
            "xtask: closed loop, {clients} clients each waiting for its order, {} s",
            flags.seconds
        );
        let report = loadgen.closed_loop(clients, flags.seconds)?;
        runs.push(checked(&mut system, "closed", None, Some(clients), report)?);
    }
    // The rates that held for the ladder's short runs, highest first: the
    // sustained run tries them in turn until one holds for the whole time.
    let mut held_rates: Vec<f64> = runs
        .iter()
        .filter(|run| run.kind == "open" && run.held())
        .filter_map(|run| run.rate)
        .collect();
    held_rates.sort_by(|a, b| b.total_cmp(a));
    held_rates.truncate(SUSTAIN_TRIES);
    if held_rates.is_empty() {
        eprintln!("xtask: no offered rate held; no sustained run");
    }
    for (attempt, rate) in held_rates.into_iter().enumerate() {
        stop_if_asked()?;
        eprintln!(
            "xtask: sustained, {rate}/s ({}) for {} s",
            if attempt == 0 {
                "the highest rate that held"
            } else {
                "the next rate down"
            },
            flags.sustain_seconds
        );
        // The profile is of the first attempt.
        let profiler = if flags.profile && attempt == 0 {
            Some(profile::start(&system, &work, flags.sustain_seconds / 2)?)
        } else {
            None
        };
        let report = loadgen.open_loop(rate, flags.sustain_seconds)?;
        if let Some(profiler) = profiler
            && let Err(error) = profiler.finish(&work)
        {
            // The figures matter more than the profile.
            eprintln!("xtask:   no profile: {error:#}");
        }
        let run = checked(&mut system, "sustained", Some(rate), None, report)?;
        let held = run.held();
        runs.push(run);
        if held {
            break;
        }
    }
    // The closed loop that settled the most, for as long: what the system
    // settles, sustained, when each client waits for its order.
    let busiest = runs
        .iter()
        .filter(|run| run.kind == "closed" && run.clean())
        .max_by(|a, b| {
            a.number(&["settled_per_sec"])
                .total_cmp(&b.number(&["settled_per_sec"]))
        })
        .and_then(|run| run.concurrency);
    if let Some(clients) = busiest {
        stop_if_asked()?;
        eprintln!(
            "xtask: sustained, closed loop, {clients} clients (the busiest) for {} s",
            flags.sustain_seconds
        );
        let report = loadgen.closed_loop(clients, flags.sustain_seconds)?;
        runs.push(checked(
            &mut system,
            "sustained",
            None,
            Some(clients),
            report,
        )?);
    }

    let results = Results {
        date: machine::utc_now(),
        machine: machine_before.with_end(machine::Machine::now()),
        flags: flags.clone(),
        service_settings: machine::service_settings(),
        ceiling_runs,
        ceiling,
        runs,
        elapsed_secs: started.elapsed().as_secs_f64(),
    };
    drop(system);
    let markdown = report::markdown(&results);
    println!("{markdown}");
    let out = if flags.write_docs {
        root.join("docs").join("bench")
    } else {
        work.clone()
    };
    std::fs::create_dir_all(&out)?;
    let suffix = report::suffix(&results);
    let (json, svg) = (
        out.join(format!("results{suffix}.json")),
        out.join(format!("latency{suffix}.svg")),
    );
    std::fs::write(&json, serde_json::to_vec_pretty(&results)?)?;
    std::fs::write(&svg, report::chart(&results))?;
    if flags.write_docs {
        let page = root.join("docs").join("benchmarks.md");
        let text = std::fs::read_to_string(&page).unwrap_or_default();
        std::fs::write(
            &page,
            report::splice(&text, &markdown, report::tag(&results)),
        )?;
        eprintln!(
            "xtask: wrote {}, {} and {}",
            json.display(),
            svg.display(),
            page.display()
        );
    } else {
        eprintln!("xtask: wrote {}", out.display());
    }
    let all_clean = results.runs.iter().all(LoadRun::clean);
    Ok(if all_clean {
        ExitCode::SUCCESS
    } else {
        eprintln!("xtask: an invariant did not hold or a run had errors (see above)");
        ExitCode::FAILURE
    })
}

fn stop_if_asked() -> anyhow::Result<()> {
    if signals::stop_requested() {
        bail!("stopped");
    }
    Ok(())
}
