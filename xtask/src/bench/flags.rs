//! What `cargo xtask bench --report` was asked for: its flags and their
//! defaults.

use anyhow::{Context, bail};
use serde::Serialize;

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
