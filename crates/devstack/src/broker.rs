//! A tansu broker (a Kafka-protocol broker written in Rust) with SQLite
//! storage, which keeps its data across broker restarts.

use std::{
    fs,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::Context;
use tempfile::TempDir;

use crate::process;

/// The version the project is tested with; `cargo xtask` installs it.
pub const TANSU_VERSION: &str = "0.6.0";

const HOW_TO_GET: &str = "the tansu broker was not found. Install it with \
`cargo install --locked tansu@0.6.0 --features libsql` (cargo xtask does this for you), \
or set TANSU_BIN to its path, or set KAFKA_BROKERS to an existing broker.";

/// A running broker. Dropping it stops the broker and, for a temporary one,
/// removes its folder.
pub struct Broker {
    child: Option<Child>,
    port: u16,
    data_dir: PathBuf,
    _temporary: Option<TempDir>,
}

impl Broker {
    /// A broker whose SQLite file lives in a temporary folder.
    pub fn start_temporary() -> anyhow::Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("orderflow-kafka-")
            .tempdir()
            .context("creating a temporary folder for the broker")?;
        let mut broker = Self::start_persistent(folder.path(), process::free_port()?)?;
        broker._temporary = Some(folder);
        Ok(broker)
    }

    /// A broker keeping its data in `data_dir` (created on first use).
    pub fn start_persistent(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        let mut broker = Self {
            child: None,
            port,
            data_dir: data_dir.to_owned(),
            _temporary: None,
        };
        broker.start()?;
        Ok(broker)
    }

    /// `host:port` for the Kafka clients' `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The address the broker listens on.
    pub fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// Stops the broker; its data stays until the folder is removed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            process::stop(&mut child, libc::SIGTERM, Duration::from_secs(10));
        }
    }

    /// Starts the broker again on the same port with the same data.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.start()
    }

    fn start(&mut self) -> anyhow::Result<()> {
        let binary = tansu_binary()?;
        let listener = format!("tcp://127.0.0.1:{}", self.port);
        let log_path = self.data_dir.join("broker.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let mut command = Command::new(&binary);
        command
            .arg("broker")
            .args(["--listener-url", &listener])
            .args(["--advertised-listener-url", &listener])
            .args(["--storage-engine", "sqlite://broker.db"])
            .current_dir(&self.data_dir)
            // tansu would export its own traces there; it is ours, not its.
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        process::supervised(&mut command, None);
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let addr = self.addr();
        let ready = process::wait_ready("tansu", &mut child, Duration::from_secs(60), || {
            process::accepts(addr)
        });
        if let Err(error) = ready {
            process::stop(&mut child, libc::SIGKILL, Duration::from_secs(1));
            let log = fs::read_to_string(&log_path).unwrap_or_default();
            return Err(error.context(format!("broker log:\n{log}")));
        }
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `TANSU_BIN`, else `tansu` on the PATH, else `~/.cargo/bin/tansu`.
pub fn tansu_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("TANSU_BIN") {
        return Ok(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("tansu"));
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|home| home.join("bin").join("tansu"));
    on_path
        .chain(cargo_home)
        .find(|path| path.is_file())
        .context(HOW_TO_GET)
}
