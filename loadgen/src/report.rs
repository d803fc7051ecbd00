//! What a run measured, as a table for people and JSON for tools.

use std::{collections::BTreeMap, fmt::Write as _, time::Duration};

use serde::Serialize;

/// Latency percentiles, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort();
        let at = |quantile: f64| {
            let index = ((samples.len() as f64 * quantile).ceil() as usize).clamp(1, samples.len());
            samples[index - 1].as_secs_f64() * 1_000.0
        };
        Self {
            count: samples.len(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

/// One invariant and whether it held.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub holds: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Invariants {
    pub checks: Vec<Check>,
}

impl Invariants {
    pub fn check(&mut self, name: &'static str, holds: bool, detail: String) {
        self.checks.push(Check {
            name,
            holds,
            detail,
        });
    }

    pub fn holds(&self) -> bool {
        self.checks.iter().all(|check| check.holds)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `open loop, 200/s` or `closed loop, 8 clients`.
    pub load: String,
    /// Seconds spent offering orders.
    pub offering_secs: f64,
    /// Seconds from the first order to the last one settled.
    pub total_secs: f64,
    pub offered: usize,
    pub accepted: usize,
    pub finished: usize,
    pub cancelled: usize,
    pub unsettled: usize,
    pub accepted_per_sec: f64,
    pub settled_per_sec: f64,
    /// From sending `POST /api/orders` to its 202.
    pub create_ms: Percentiles,
    /// From the 202 to FINISHED or CANCELLED first seen.
    pub settle_ms: Percentiles,
    /// From the 202 until loadgen began following the order: waiting for
    /// one of its slots (at most 512 orders followed at once). Part of the
    /// settle latency that is loadgen's own, not the system's.
    pub follow_wait_ms: Percentiles,
    /// Settle latency by the second (from the start of the offering) in
    /// which each order was accepted: a steady tail and a stall of a few
    /// seconds give the same p99 overall, and only this tells them apart.
    pub settle_by_second: Vec<Second>,
    pub errors: BTreeMap<String, u64>,
    pub invariants: Invariants,
}

/// The orders accepted in one second of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Second {
    /// Seconds since the offering started.
    pub second: u64,
    pub settle_ms: Percentiles,
}

/// Groups `(accepted after the start, settle latency)` by whole second.
pub fn by_second(orders: impl IntoIterator<Item = (Duration, Duration)>) -> Vec<Second> {
    let mut seconds: BTreeMap<u64, Vec<Duration>> = BTreeMap::new();
    for (accepted, latency) in orders {
        seconds.entry(accepted.as_secs()).or_default().push(latency);
    }
    seconds
        .into_iter()
        .map(|(second, mut latencies)| Second {
            second,
            settle_ms: Percentiles::of(&mut latencies),
        })
        .collect()
}

impl Report {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "load            {}", self.load);
        let _ = writeln!(
            out,
            "orders          {} offered, {} accepted, {} FINISHED, {} CANCELLED, {} unsettled",
            self.offered, self.accepted, self.finished, self.cancelled, self.unsettled
        );
        let _ = writeln!(
            out,
            "throughput      {:.1} accepted/s over {:.1} s, {:.1} settled/s over {:.1} s",
            self.accepted_per_sec, self.offering_secs, self.settled_per_sec, self.total_secs
        );
        let _ = writeln!(
            out,
            "latency (ms)    {:>8} {:>8} {:>8} {:>8}",
            "p50", "p90", "p99", "max"
        );
        for (name, p) in [
            ("create", &self.create_ms),
            ("settle", &self.settle_ms),
            ("  follow wait", &self.follow_wait_ms),
        ] {
            let _ = writeln!(
                out,
                "  {name:<13} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
                p.p50, p.p90, p.p99, p.max
            );
        }
        if let Some(worst) = self
            .settle_by_second
            .iter()
            .max_by(|a, b| a.settle_ms.max.total_cmp(&b.settle_ms.max))
        {
            let _ = writeln!(
                out,
                "worst second    {} s in: {} orders, settle p50 {:.1} max {:.1} ms",
                worst.second, worst.settle_ms.count, worst.settle_ms.p50, worst.settle_ms.max
            );
        }
        if self.errors.is_empty() {
            let _ = writeln!(out, "errors          none");
        }
        for (kind, count) in &self.errors {
            let _ = writeln!(out, "errors          {count} × {kind}");
        }
        for check in &self.invariants.checks {
            let mark = if check.holds { "ok  " } else { "FAIL" };
            let _ = writeln!(out, "invariant {mark}  {}: {}", check.name, check.detail);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = Percentiles::of(&mut samples);
        assert_eq!(
            (p.count, p.p50, p.p90, p.p99, p.max),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(Percentiles::of(&mut []).count, 0);
    }

    #[test]
    fn orders_are_grouped_by_the_second_they_were_accepted_in() {
        let ms = Duration::from_millis;
        let seconds = by_second([
            (ms(1_500), ms(40)),
            (ms(100), ms(10)),
            (ms(1_999), ms(400)),
            (ms(900), ms(30)),
        ]);
        let summary: Vec<(u64, usize, f64)> = seconds
            .iter()
            .map(|second| (second.second, second.settle_ms.count, second.settle_ms.max))
            .collect();
        assert_eq!(summary, [(0, 2, 30.0), (1, 2, 400.0)]);
    }
}
