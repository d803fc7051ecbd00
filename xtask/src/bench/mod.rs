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
mod profile;
mod report;
mod system;

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use orderflow_devstack::install;
use serde::Serialize;
use serde_json::Value;

use crate::{signals, tools};
pub use ceiling::CeilingRun;
use system::System;

/// Users loadgen and pgbench spread their orders over.
const USERS: usize = 20;

/// Orders per second of the warm-up ([`Flags::warm_up_seconds`]).
const WARM_UP_RATE: u32 = 250;

/// What `cargo xtask bench --report` was asked for.
#[derive(Clone, Debug, Serialize)]
pub struct Flags {
    /// Offered rates of the open-loop runs (`--rates 50,100,…`).
    pub rates: Vec<f64>,
    /// Clients of the closed-loop runs, each waiting for its order to settle.
    pub concurrencies: Vec<usize>,
    /// Seconds each rate or concurrency is offered.
    pub seconds: u64,
    /// Seconds of the run at the highest rate that held.
    pub sustain_seconds: u64,
    /// pgbench client counts.
    pub ceiling_clients: Vec<usize>,
    /// Seconds of each pgbench run.
    pub ceiling_seconds: u64,
    /// Orders of the idle run (one at a time).
    pub idle_orders: usize,
    /// Seconds of load before anything is measured (`--warm-up-seconds`),
    /// at [`WARM_UP_RATE`]: Kafka's JVM compiles its hot paths under load,
    /// and until it has, it takes two to three times the CPU (0.6–0.8 of a
    /// core instead of 0.2 at 200/s, for the first 25 s or so on a fresh
    /// broker), which showed as seconds-long stalls in the first rates.
    pub warm_up_seconds: u64,
    /// Write results here and into docs/benchmarks.md (`--no-docs`: only
    /// under the target folder).
    pub write_docs: bool,
    /// `--profile`: perf samples the three services during the sustained
    /// run; a flamegraph when inferno is installed.
    pub profile: bool,
    /// PostgreSQL with fsync on, as `cargo xtask run` keeps it (default);
    /// `--no-fsync`: the tests' throwaway cluster, fsync off.
    pub durable: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Self {
            // Steps of 25/s where the system's limit has been (400–550/s),
            // so the sustained run starts close to it.
            rates: vec![
                50.0, 100.0, 200.0, 250.0, 300.0, 350.0, 400.0, 425.0, 450.0, 475.0, 500.0, 525.0,
                550.0, 600.0,
            ],
            concurrencies: vec![8, 32, 128],
            seconds: 15,
            sustain_seconds: 60,
            ceiling_clients: vec![1, 2, 4, 8, 16],
            ceiling_seconds: 10,
            idle_orders: 200,
            warm_up_seconds: 45,
            write_docs: true,
            profile: false,
            durable: true,
        }
    }
}

/// Whether `cargo xtask bench` was asked for this report rather than for
/// `cargo bench`.
pub fn requested(args: &[String]) -> bool {
    args.first().is_some_and(|arg| arg == "--report")
}

impl Flags {
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut flags = Self::default();
        let mut args = args.iter().skip(1);
        let list = |value: Option<&String>, name: &str| -> anyhow::Result<Vec<f64>> {
            value
                .with_context(|| format!("{name} needs a value"))?
                .split(',')
                .map(|item| {
                    item.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|number| number.is_finite() && *number > 0.0)
                        .with_context(|| format!("{name}: {item:?} is not a positive number"))
                })
                .collect()
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => {
                    flags.rates = vec![50.0, 200.0];
                    flags.concurrencies = vec![8];
                    flags.seconds = 5;
                    flags.sustain_seconds = 10;
                    flags.ceiling_clients = vec![4];
                    flags.ceiling_seconds = 5;
                    flags.idle_orders = 30;
                    flags.warm_up_seconds = 5;
                }
                "--rates" => flags.rates = list(args.next(), "--rates")?,
                "--concurrency" => {
                    flags.concurrencies = list(args.next(), "--concurrency")?
                        .into_iter()
                        .map(|clients| clients as usize)
                        .collect();
                }
                "--ceiling-clients" => {
                    flags.ceiling_clients = list(args.next(), "--ceiling-clients")?
                        .into_iter()
                        .map(|clients| clients as usize)
                        .collect();
                }
                "--seconds" => flags.seconds = list(args.next(), "--seconds")?[0] as u64,
                "--sustain-seconds" => {
                    flags.sustain_seconds = list(args.next(), "--sustain-seconds")?[0] as u64;
                }
                "--warm-up-seconds" => {
                    flags.warm_up_seconds = list(args.next(), "--warm-up-seconds")?[0] as u64;
                }
                "--no-docs" => flags.write_docs = false,
                "--profile" => flags.profile = true,
                "--no-fsync" => flags.durable = false,
                other => bail!(
                    "unknown flag {other:?}; cargo xtask bench --report [--quick] [--rates 50,100] \
                     [--concurrency 8,32] [--seconds 15] [--sustain-seconds 60] \
                     [--warm-up-seconds 45] [--ceiling-clients 2,4,8] [--no-docs] [--profile] [--no-fsync]"
                ),
            }
        }
        Ok(flags)
    }
}

/// One loadgen run and what was checked after it.
#[derive(Clone, Debug, Serialize)]
pub struct LoadRun {
    /// `idle`, `open`, `closed` or `sustained`.
    pub kind: &'static str,
    /// Offered orders/s (open loop), else none.
    pub rate: Option<f64>,
    /// Clients (closed loop), else none.
    pub concurrency: Option<usize>,
    /// loadgen's JSON report.
    pub report: Value,
    /// loadgen exited 0: its invariants held.
    pub loadgen_ok: bool,
    /// Unpublished outbox rows of orders and payments after the run.
    pub unpublished_outbox_rows: i64,
    /// Consumer lag of both services after the run (None: not reported).
    pub consumer_lag: Option<i64>,
}

impl LoadRun {
    fn number(&self, path: &[&str]) -> f64 {
        let mut value = &self.report;
        for key in path {
            value = &value[*key];
        }
        value.as_f64().unwrap_or(f64::NAN)
    }

    /// No errors, every order settled, every invariant held.
    pub fn clean(&self) -> bool {
        self.loadgen_ok
            && self.report["errors"]
                .as_object()
                .is_some_and(serde_json::Map::is_empty)
            && self.number(&["unsettled"]) == 0.0
            && self.unpublished_outbox_rows == 0
            && self.consumer_lag == Some(0)
    }

    /// An open loop: clean, the orders accepted and settled at the rate
    /// (settled/s counts up to the last one settled), and no backlog: the
    /// last order settled within 2 s of the end of the offering. A closed
    /// loop: clean (its clients wait for their orders, so it has no backlog
    /// to fall behind with).
    pub fn held(&self) -> bool {
        match (self.rate, self.concurrency) {
            (Some(rate), _) => held(
                self.clean(),
                rate,
                self.number(&["accepted_per_sec"]),
                self.number(&["settled_per_sec"]),
                self.number(&["total_secs"]) - self.number(&["offering_secs"]),
            ),
            (None, Some(_)) => self.clean(),
            (None, None) => false,
        }
    }
}

/// How many of the rates that held in the ladder the sustained run tries,
/// highest first, before it gives up.
const SUSTAIN_TRIES: usize = 3;

fn held(clean: bool, rate: f64, accepted: f64, settled: f64, drain_secs: f64) -> bool {
    clean && accepted >= 0.97 * rate && settled >= 0.95 * rate && drain_secs <= 2.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{LoadRun, held};

    #[test]
    fn a_rate_holds_when_its_orders_settle_at_that_rate_without_a_backlog() {
        // 100/s for 15 s: everything settled 0.1 s after the offering.
        assert!(held(true, 100.0, 99.8, 99.4, 0.1));
        // 200/s for 5 s: accepted at the rate, but settled at 152/s with
        // 1.6 s of backlog; a short run must not pass for one that held.
        assert!(!held(true, 200.0, 199.4, 152.3, 1.6));
        // A backlog that takes longer than 2 s to drain.
        assert!(!held(true, 100.0, 99.8, 96.0, 2.5));
        // Errors or a broken invariant.
        assert!(!held(false, 100.0, 99.8, 99.4, 0.1));
    }

    #[test]
    fn a_closed_loop_holds_when_it_is_clean() {
        let run = |errors: serde_json::Value, lag| LoadRun {
            kind: "sustained",
            rate: None,
            concurrency: Some(128),
            report: json!({ "errors": errors, "unsettled": 0 }),
            loadgen_ok: true,
            unpublished_outbox_rows: 0,
            consumer_lag: lag,
        };
        assert!(run(json!({}), Some(0)).held());
        assert!(!run(json!({ "timeout": 3 }), Some(0)).held());
        assert!(!run(json!({}), Some(12)).held());
    }
}

/// Everything one report run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Results {
    pub date: String,
    pub machine: report::Machine,
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
    let machine_before = report::Machine::now();
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
        date: report::utc_now(),
        machine: machine_before.with_end(report::Machine::now()),
        flags: flags.clone(),
        service_settings: report::service_settings(),
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

/// Checks the system's own invariants after a loadgen run.
fn checked(
    system: &mut System,
    kind: &'static str,
    rate: Option<f64>,
    concurrency: Option<usize>,
    (report, loadgen_ok): (Value, bool),
) -> anyhow::Result<LoadRun> {
    system.check_alive()?;
    let unpublished = system::unpublished_outbox_rows(&system.orders_db)?
        + system::unpublished_outbox_rows(&system.payments_db)?;
    // librdkafka reports lag from its statistics, every few seconds.
    let deadline = Instant::now() + Duration::from_secs(15);
    let consumer_lag = loop {
        let lags: Vec<Option<i64>> = system
            .metrics_ports
            .iter()
            .map(|(_, port)| {
                system::http_get(*port, "/metrics")
                    .ok()
                    .and_then(|(_, body)| system::consumer_lag(&body))
            })
            .collect();
        let total = lags.iter().copied().sum::<Option<i64>>();
        if total == Some(0) || Instant::now() > deadline {
            break total;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let run = LoadRun {
        kind,
        rate,
        concurrency,
        report,
        loadgen_ok,
        unpublished_outbox_rows: unpublished,
        consumer_lag,
    };
    eprintln!(
        "xtask:   settled {:.1}/s, settle p50 {:.1} / p99 {:.1} ms; outbox unpublished {}, \
         consumer lag {:?}; {}",
        run.number(&["settled_per_sec"]),
        run.number(&["settle_ms", "p50"]),
        run.number(&["settle_ms", "p99"]),
        run.unpublished_outbox_rows,
        run.consumer_lag,
        if run.clean() { "clean" } else { "NOT CLEAN" }
    );
    Ok(run)
}

/// The release loadgen against the bench's gateway.
struct Loadgen {
    binary: PathBuf,
    gateway: String,
    json: PathBuf,
}

impl Loadgen {
    /// Runs loadgen with `args`; its JSON report and whether it exited 0.
    fn run(&self, args: &[&str]) -> anyhow::Result<(Value, bool)> {
        let _ = std::fs::remove_file(&self.json);
        let status = Command::new(&self.binary)
            .args(["--gateway", &self.gateway, "--users", &USERS.to_string()])
            .args(["--quiet", "--json"])
            .arg(&self.json)
            .args(args)
            .status()
            .with_context(|| format!("running {}", self.binary.display()))?;
        let report = read_json(&self.json)
            .with_context(|| format!("loadgen {args:?} exited with {status} and no report"))?;
        Ok((report, status.success()))
    }

    /// Runs loadgen with `clients` each waiting for its order to settle
    /// before the next, for `seconds`.
    fn closed_loop(&self, clients: usize, seconds: u64) -> anyhow::Result<(Value, bool)> {
        self.run(&[
            "--concurrency",
            &clients.to_string(),
            "--wait-settled",
            "--duration",
            &seconds.to_string(),
        ])
    }

    /// Runs loadgen offering `rate` orders/s for `seconds`.
    fn open_loop(&self, rate: f64, seconds: u64) -> anyhow::Result<(Value, bool)> {
        self.run(&[
            "--rate",
            &rate.to_string(),
            "--duration",
            &seconds.to_string(),
        ])
    }
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    Ok(serde_json::from_slice(&std::fs::read(path)?)?)
}
