//! `cargo xtask run --debug` started by a test, as a person would start it.
// Each test binary compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use orderflow_devstack::free_port;

/// The run command on free ports, its data in a temporary folder, every
/// process it starts marked by `ORDERFLOW_RUN_MARK` in its environment.
pub struct RunCommand {
    child: Child,
    lines: mpsc::Receiver<String>,
    mark: String,
    ports: [(&'static str, String); 11],
    data: tempfile::TempDir,
}

const PORT_VARIABLES: [&str; 11] = [
    "ORDERFLOW_POSTGRES_PORT",
    "ORDERFLOW_KAFKA_PORT",
    "ORDERFLOW_KAFKA_CONTROLLER_PORT",
    "ORDERFLOW_JAEGER_PORT",
    "ORDERFLOW_OTLP_PORT",
    "ORDERFLOW_OTLP_HTTP_PORT",
    "ORDERFLOW_ORDERS_PORT",
    "ORDERFLOW_PAYMENTS_PORT",
    "ORDERFLOW_GATEWAY_PORT",
    "ORDERFLOW_ORDERS_METRICS_PORT",
    "ORDERFLOW_PAYMENTS_METRICS_PORT",
];

impl RunCommand {
    pub fn start() -> Self {
        let data = tempfile::tempdir().expect("a data folder");
        let mark = uuid::Uuid::new_v4().to_string();
        let ports = PORT_VARIABLES.map(|name| (name, free_port().expect("a port").to_string()));
        let mut command = Self::command(data.path(), &mark, &ports);
        command.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = command.spawn().expect("cargo xtask run starts");
        let stdout = child.stdout.take().expect("its output");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            mark,
            ports,
            data,
        }
    }

    /// `cargo xtask run --debug` with this run's folder, mark and ports.
    fn command(data: &std::path::Path, mark: &str, ports: &[(&str, String)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command
            .args(["run", "--debug"])
            .env("ORDERFLOW_DATA_DIR", data)
            .env("ORDERFLOW_RUN_MARK", mark)
            .envs(ports.iter().map(|(name, port)| (*name, port)));
        command
    }

    /// A second run command on the same data folder, while this one runs.
    pub fn start_another(&self) -> std::process::Output {
        Self::command(self.data.path(), &self.mark, &self.ports)
            .stdin(Stdio::null())
            .output()
            .expect("a second cargo xtask run starts")
    }

    /// The URL printed after `label` once the system is ready.
    pub fn wait_for(&self, label: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                break;
            };
            if let Some(rest) = line.trim().strip_prefix(label) {
                let url = rest.split_whitespace().next().unwrap_or_default();
                return url.to_owned();
            }
            seen.push(line);
        }
        panic!(
            "no REST API address within {within:?}; it printed:\n{}",
            seen.join("\n")
        );
    }

    /// SIGINT, as a terminal's Ctrl-C would send; then its exit status.
    pub fn interrupt(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = self.child.try_wait().expect("its status") {
                return status;
            }
            assert!(Instant::now() < deadline, "it did not stop within 90 s");
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Processes still running with this run's mark in their environment.
    pub fn leftovers(&self) -> Vec<String> {
        let needle = format!("ORDERFLOW_RUN_MARK={}", self.mark);
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(environ) = std::fs::read(path.join("environ")) else {
                continue;
            };
            let marked = environ
                .split(|byte| *byte == 0)
                .any(|variable| variable == needle.as_bytes());
            if marked {
                let command = std::fs::read(path.join("cmdline")).unwrap_or_default();
                found.push(String::from_utf8_lossy(&command).replace('\0', " "));
            }
        }
        found
    }
}

impl Drop for RunCommand {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
            let _ = self.child.wait();
        }
    }
}
