//! What a load run is asked to do.

use std::{path::PathBuf, time::Duration};

use clap::Parser;

/// Drives orderflow's REST API: opens accounts, tops them up, places orders
/// at an offered rate (open loop) or with a fixed number of clients (closed
/// loop), waits until every order has settled, and checks the invariants.
#[derive(Clone, Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Options {
    /// The gateway's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub gateway: String,
    /// How many users place orders.
    #[arg(long, default_value_t = 20)]
    pub users: usize,
    /// Each paying user's starting balance, in minor units.
    #[arg(long, default_value_t = 1_000_000_000)]
    pub balance: i64,
    /// Each order's amount, in minor units.
    #[arg(long, default_value_t = 100)]
    pub amount: i64,
    /// The share of orders (0 to 1) placed by users with no money, which
    /// must end CANCELLED for lack of funds.
    #[arg(long, default_value_t = 0.1)]
    pub fail_share: f64,
    /// Open loop: orders offered per second, whatever the answers take.
    #[arg(long, conflicts_with = "concurrency")]
    pub rate: Option<f64>,
    /// Closed loop: this many clients, each placing its next order when the
    /// previous one was accepted.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Closed loop: each client places its next order only once the
    /// previous one has settled (with one client: idle settle latency).
    #[arg(long, conflicts_with = "rate")]
    pub wait_settled: bool,
    /// Follow orders by asking for each one's state every this many
    /// milliseconds instead of through its event stream.
    #[arg(long, value_name = "MS")]
    pub poll: Option<u64>,
    /// Stop offering orders after this many seconds.
    #[arg(long, value_parser = seconds, default_value = "10")]
    pub duration: Duration,
    /// Stop offering orders after this many (whichever comes first).
    #[arg(long)]
    pub orders: Option<usize>,
    /// How long the orders may take to settle after the last one was placed.
    #[arg(long, value_parser = seconds, default_value = "60")]
    pub settle_within: Duration,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress bar (for logs and tests).
    #[arg(long)]
    pub quiet: bool,
}

fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds"))
}
