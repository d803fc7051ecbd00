//! The real binaries (orders, payments, gateway) as child processes, for
//! fault tests that kill, stop and restart them.
//!
//! Each child runs from the binaries `cargo build --workspace --bins` put
//! beside the test executable's folder (or in `ORDERFLOW_BIN_DIR`), on a
//! port of its own that it keeps across restarts, with a clean environment
//! holding only its configuration. It runs in its own process group with a
//! parent-death signal, and is killed when dropped, so none outlives its test.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use orderflow_devstack::free_port;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::services::health_status;

/// One of the three binaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Orders,
    Payments,
    Gateway,
}

impl Binary {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Payments => "payments",
            Self::Gateway => "gateway",
        }
    }

    /// The built binary: `$ORDERFLOW_BIN_DIR/<name>`, else beside the
    /// folder of the test executable (`target/debug/deps/..`).
    pub(crate) fn path(self) -> PathBuf {
        let folder = std::env::var_os("ORDERFLOW_BIN_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let exe = std::env::current_exe().expect("the test executable's path");
                let deps = exe.parent().expect("the test executable's folder");
                deps.parent().unwrap_or(deps).to_owned()
            });
        let path = folder.join(self.name());
        assert!(
            path.is_file(),
            "{} is missing: build the binaries first (`cargo build --workspace --bins --features \
             orders/crash-points,payments/crash-points`, which `cargo xtask test` runs) or set \
             ORDERFLOW_BIN_DIR",
            path.display()
        );
        path
    }
}

/// A service process: its binary and configuration, and the child while it runs.
pub struct ServiceProcess {
    pub(crate) binary: Binary,
    /// `orders-0`, `payments-1`, …
    pub label: String,
    /// The port it serves gRPC (orders, payments) or HTTP (gateway) on.
    pub addr: SocketAddr,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    /// Times it was started.
    pub starts: usize,
}

impl ServiceProcess {
    /// A service not started yet, on a free port, logging to `logs/<label>.log`.
    pub(crate) fn new(
        binary: Binary,
        label: String,
        env: Vec<(String, String)>,
        logs: &Path,
    ) -> Self {
        let port = free_port().expect("a free port");
        Self {
            binary,
            log: logs.join(format!("{label}.log")),
            label,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            env,
            child: None,
            starts: 0,
        }
    }

    /// Sets (or, with `None`, removes) one variable for the next start.
    pub fn set_env(&mut self, name: &str, value: Option<&str>) {
        self.env.retain(|(key, _)| key != name);
        if let Some(value) = value {
            self.env.push((name.to_owned(), value.to_owned()));
        }
    }

    /// Starts the child (not waiting for it to be ready).
    pub(crate) fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} already runs", self.label);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("a log file");
        let listen = match self.binary {
            Binary::Gateway => "GATEWAY_LISTEN_ADDR",
            Binary::Orders | Binary::Payments => "GRPC_LISTEN_ADDR",
        };
        let mut command = Command::new(self.binary.path());
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .env(listen, self.addr.to_string())
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log);
        orderflow_devstack::supervise(&mut command);
        self.child = Some(command.spawn().expect("the service starts"));
        self.starts += 1;
    }

    /// Starts the child and waits until it is ready: gRPC health SERVING,
    /// or the gateway's `/readyz` answering 200.
    pub async fn start(&mut self) {
        self.spawn();
        self.wait_until_ready().await;
    }

    /// Waits until the running child is ready (panics if it exits meanwhile).
    pub(crate) async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.try_wait() {
                panic!(
                    "{} exited with {status} while starting:\n{}",
                    self.label,
                    self.log_tail(40)
                );
            }
            let ready = match self.binary {
                Binary::Gateway => http_ok(self.addr, "/readyz").await,
                Binary::Orders | Binary::Payments => {
                    health_status(self.addr).await == Ok(ServingStatus::Serving)
                }
            };
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready within 60 s:\n{}",
                self.label,
                self.log_tail(40)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: the process dies on the spot, nothing flushed or committed.
    pub async fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        let status = self.wait_for_exit(Duration::from_secs(10)).await;
        assert!(status.is_some(), "{} survived SIGKILL", self.label);
    }

    /// SIGTERM, then waits up to `grace` for the exit; `None` if it is still
    /// running then (it is killed).
    pub async fn terminate(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.signal(libc::SIGTERM);
        let status = self.wait_for_exit(grace).await;
        if status.is_none() {
            self.kill().await;
        }
        status
    }

    /// Whether the child runs (started, not exited).
    pub fn is_running(&mut self) -> bool {
        self.child.is_some() && self.try_wait().is_none()
    }

    /// Waits up to `within` for the child to exit by itself (a crash point,
    /// say) and returns its status.
    pub async fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.try_wait() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Its whole log so far, without the terminal's colour codes.
    pub fn log_text(&self) -> String {
        without_colours(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    fn try_wait(&mut self) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        child.try_wait().expect("the child's status")
    }

    fn signal(&mut self, signal: libc::c_int) {
        if let Some(child) = &self.child {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `text` without ANSI escape sequences (`ESC [ … letter`).
fn without_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// Whether `GET http://addr{path}` answers 200.
async fn http_ok(addr: SocketAddr, path: &str) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("an HTTP client");
    client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .is_ok_and(|response| response.status().is_success())
}

#[cfg(test)]
mod tests {
    #[test]
    fn colour_codes_are_dropped_from_a_log() {
        let coloured =
            "\u{1b}[2m2026\u{1b}[0m \u{1b}[3moutcome\u{1b}[0m\u{1b}[2m=\u{1b}[0mDuplicate";
        assert_eq!(super::without_colours(coloured), "2026 outcome=Duplicate");
    }
}
