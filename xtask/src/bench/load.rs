//! One loadgen run: running the release loadgen against the bench's
//! gateway, checking the system's own invariants after it, and whether the
//! run held.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use super::system::{self, System};

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
    pub(super) fn number(&self, path: &[&str]) -> f64 {
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
    /// (settled/s counts up to the last one settled), no backlog (the last
    /// order settled within 2 s of the end of the offering) and no standing
    /// queue (see [`MAX_QUEUED_P50_MS`]). A closed loop: clean (its clients
    /// wait for their orders, so it has no backlog to fall behind with).
    pub fn held(&self) -> bool {
        match (self.rate, self.concurrency) {
            (Some(rate), _) => held(
                self.clean(),
                rate,
                self.number(&["accepted_per_sec"]),
                self.number(&["settled_per_sec"]),
                self.number(&["total_secs"]) - self.number(&["offering_secs"]),
                self.queued_p50_ms(),
            ),
            (None, Some(_)) => self.clean(),
            (None, None) => false,
        }
    }

    /// The larger of the run's settle p50 and that of its end: the median
    /// of the per-second p50s of the orders accepted in the last
    /// [`END_SECS`] whole seconds of the offering (the run's p50 when it has
    /// none).
    fn queued_p50_ms(&self) -> f64 {
        let overall = self.number(&["settle_ms", "p50"]);
        let whole_secs = self.number(&["offering_secs"]).floor();
        let mut end: Vec<f64> = self.report["settle_by_second"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|second| {
                let at = second["second"].as_f64().unwrap_or(f64::NAN);
                at < whole_secs && at >= whole_secs - END_SECS
            })
            .filter_map(|second| second["settle_ms"]["p50"].as_f64())
            .collect();
        if end.is_empty() {
            return overall;
        }
        end.sort_by(f64::total_cmp);
        overall.max(end[end.len() / 2])
    }
}

/// The most the settle p50 of an open loop that held may be, over the run
/// and over its end ([`LoadRun::queued_p50_ms`]), in ms. Idle, an order
/// settles in under 10 ms, and a stall lifts only the tail; a median past a
/// second means most orders waited in a queue that stood: the rate was kept
/// up only with a backlog. The drain rule alone misses it, because a
/// backlog drains fast once the offering stops and creating orders no
/// longer takes CPU (525/s for 60 s: a p50 of 5.3 s, drained in 1.9 s).
pub(super) const MAX_QUEUED_P50_MS: f64 = 1_000.0;

/// The end of an open loop, in seconds, for [`LoadRun::queued_p50_ms`].
pub(super) const END_SECS: f64 = 10.0;

fn held(
    clean: bool,
    rate: f64,
    accepted: f64,
    settled: f64,
    drain_secs: f64,
    queued_p50_ms: f64,
) -> bool {
    clean
        && accepted >= 0.97 * rate
        && settled >= 0.95 * rate
        && drain_secs <= 2.0
        && queued_p50_ms <= MAX_QUEUED_P50_MS
}

/// Checks the system's own invariants after a loadgen run.
pub(super) fn checked(
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
pub(super) struct Loadgen {
    pub(super) binary: PathBuf,
    pub(super) gateway: String,
    pub(super) json: PathBuf,
}

impl Loadgen {
    /// Runs loadgen with `args`; its JSON report and whether it exited 0.
    pub(super) fn run(&self, args: &[&str]) -> anyhow::Result<(Value, bool)> {
        let _ = std::fs::remove_file(&self.json);
        let status = Command::new(&self.binary)
            .args([
                "--gateway",
                &self.gateway,
                "--users",
                &super::USERS.to_string(),
            ])
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
    pub(super) fn closed_loop(
        &self,
        clients: usize,
        seconds: u64,
    ) -> anyhow::Result<(Value, bool)> {
        self.run(&[
            "--concurrency",
            &clients.to_string(),
            "--wait-settled",
            "--duration",
            &seconds.to_string(),
        ])
    }

    /// Runs loadgen offering `rate` orders/s for `seconds`.
    pub(super) fn open_loop(&self, rate: f64, seconds: u64) -> anyhow::Result<(Value, bool)> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{LoadRun, held};

    #[test]
    fn a_rate_holds_when_its_orders_settle_at_that_rate_without_a_backlog() {
        // 100/s for 15 s: everything settled 0.1 s after the offering.
        assert!(held(true, 100.0, 99.8, 99.4, 0.1, 12.0));
        // 200/s for 5 s: accepted at the rate, but settled at 152/s with
        // 1.6 s of backlog; a short run must not pass for one that held.
        assert!(!held(true, 200.0, 199.4, 152.3, 1.6, 12.0));
        // A backlog that takes longer than 2 s to drain.
        assert!(!held(true, 100.0, 99.8, 96.0, 2.5, 12.0));
        // Errors or a broken invariant.
        assert!(!held(false, 100.0, 99.8, 99.4, 0.1, 12.0));
    }

    #[test]
    fn a_rate_kept_up_only_with_a_standing_queue_did_not_hold() {
        // 525/s for 60 s on 12-05: 507.6/s settled, drained 1.9 s after the
        // offering, with a settle p50 of 5255 ms.
        assert!(!held(true, 525.0, 524.9, 507.6, 1.9, 5255.0));
    }

    #[test]
    fn the_queue_is_the_larger_median_of_the_run_and_of_its_end() {
        let run = |overall: f64, by_second: &[(u64, f64)]| LoadRun {
            kind: "sustained",
            rate: Some(100.0),
            concurrency: None,
            report: json!({
                "offering_secs": 60.02,
                "settle_ms": { "p50": overall },
                "settle_by_second": by_second
                    .iter()
                    .map(|(second, p50)| json!({ "second": second, "settle_ms": { "p50": p50 } }))
                    .collect::<Vec<_>>(),
            }),
            loadgen_ok: true,
            unpublished_outbox_rows: 0,
            consumer_lag: Some(0),
        };
        // A queue that built up in the last 10 s (seconds 50..=59): their
        // median, 1500 ms, though the run's p50 is low. Second 60 (a
        // fraction of a second) and second 49 do not count.
        let building: Vec<(u64, f64)> = (49..=60)
            .map(|second| {
                (
                    second,
                    if (50..60).contains(&second) {
                        1_500.0
                    } else {
                        10.0
                    },
                )
            })
            .collect();
        assert_eq!(run(40.0, &building).queued_p50_ms(), 1_500.0);
        // One slow second at the end is a stall, not a queue.
        let stall: Vec<(u64, f64)> = (50..60)
            .map(|second| (second, if second == 58 { 1_300.0 } else { 20.0 }))
            .collect();
        assert_eq!(run(40.0, &stall).queued_p50_ms(), 40.0);
        // Without seconds, the run's own p50.
        assert_eq!(run(900.0, &[]).queued_p50_ms(), 900.0);
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
