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

fn held(clean: bool, rate: f64, accepted: f64, settled: f64, drain_secs: f64) -> bool {
    clean && accepted >= 0.97 * rate && settled >= 0.95 * rate && drain_secs <= 2.0
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
