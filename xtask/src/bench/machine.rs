//! The machine a bench run had, what else kept it busy, and the service
//! settings it passed on.

use std::process::Command;

use serde::Serialize;

/// Variables the bench passes on to the services when set.
const SERVICE_SETTINGS: &[&str] = &[
    "OUTBOX_BATCH_SIZE",
    "DATABASE_MAX_CONNECTIONS",
    "KAFKA_FETCH_WAIT_MS",
    "OUTBOX_POLL_INTERVAL_MS",
    "TOPIC_PARTITIONS",
    "RUST_LOG",
];

/// The machine, and what else kept it busy.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    /// /proc/loadavg at the start (and at the end).
    pub load_average: Vec<String>,
    /// The busiest other processes (ps: %CPU, command), at the start and the end.
    pub alongside: Vec<Vec<String>>,
}

impl Machine {
    pub fn now() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let memory_kib: f64 = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib: (memory_kib / 1_048_576.0 * 10.0).round() / 10.0,
            kernel: output("uname", &["-r"]),
            load_average: vec![
                std::fs::read_to_string("/proc/loadavg")
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            ],
            alongside: vec![busiest()],
        }
    }

    pub fn with_end(mut self, end: Self) -> Self {
        self.load_average.extend(end.load_average);
        self.alongside.extend(end.alongside);
        self
    }
}

/// The processes that used the most CPU (over their lifetime, as ps counts).
fn busiest() -> Vec<String> {
    output("ps", &["-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"])
        .lines()
        .take(8)
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default()
}

pub fn utc_now() -> String {
    output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}

/// The service settings of the environment the bench passed on.
pub fn service_settings() -> Vec<(String, String)> {
    SERVICE_SETTINGS
        .iter()
        .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
        .collect()
}
