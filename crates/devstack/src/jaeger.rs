//! Jaeger v2 (an OpenTelemetry Collector distribution) with in-memory
//! storage, configured by `otel/jaeger.yaml`: OTLP in, the query API out.

use std::{
    fs,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::Context;
use tempfile::TempDir;

use crate::{install, process};

const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../otel/jaeger.yaml");

/// The ports Jaeger listens on (all on 127.0.0.1).
#[derive(Clone, Copy, Debug)]
pub struct JaegerPorts {
    /// OTLP over gRPC (4317 by convention).
    pub otlp_grpc: u16,
    /// OTLP over HTTP (4318 by convention).
    pub otlp_http: u16,
    /// The query API and UI (16686 by convention).
    pub query: u16,
    /// The query API over gRPC (16685 by convention).
    pub query_grpc: u16,
    /// The health check (13133 by convention).
    pub health: u16,
}

impl JaegerPorts {
    /// Ports that were free a moment ago.
    pub(crate) fn free() -> anyhow::Result<Self> {
        Ok(Self {
            otlp_grpc: process::free_port()?,
            otlp_http: process::free_port()?,
            query: process::free_port()?,
            query_grpc: process::free_port()?,
            health: process::free_port()?,
        })
    }
}

/// A running Jaeger. Dropping it stops it; its traces live in memory only.
pub struct Jaeger {
    child: Child,
    ports: JaegerPorts,
    _temporary: Option<TempDir>,
}

impl Jaeger {
    /// Jaeger on free ports, its log in a temporary folder.
    pub fn start_temporary() -> anyhow::Result<Self> {
        Self::start_temporary_keeping(None)
    }

    /// [`Jaeger::start_temporary`], keeping the last `max_traces` traces in
    /// memory instead of `otel/jaeger.yaml`'s default.
    pub fn start_temporary_keeping(max_traces: Option<usize>) -> anyhow::Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("orderflow-jaeger-")
            .tempdir()
            .context("creating a temporary folder for Jaeger")?;
        let mut jaeger = Self::launch(folder.path(), JaegerPorts::free()?, max_traces)?;
        jaeger._temporary = Some(folder);
        Ok(jaeger)
    }

    /// Jaeger on `ports`, logging to `log_dir/jaeger.log`.
    pub fn start(log_dir: &Path, ports: JaegerPorts) -> anyhow::Result<Self> {
        Self::launch(log_dir, ports, None)
    }

    fn launch(
        log_dir: &Path,
        ports: JaegerPorts,
        max_traces: Option<usize>,
    ) -> anyhow::Result<Self> {
        let binary = install::jaeger_binary()?;
        for port in [
            ports.otlp_grpc,
            ports.otlp_http,
            ports.query,
            ports.query_grpc,
            ports.health,
        ] {
            process::ensure_free(port, "Jaeger")?;
        }
        fs::create_dir_all(log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
        let log_path = log_dir.join("jaeger.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let mut command = Command::new(&binary);
        command
            .arg("--config")
            .arg(config_path())
            .env("JAEGER_LISTEN_HOST", "127.0.0.1")
            .env("JAEGER_OTLP_GRPC_PORT", ports.otlp_grpc.to_string())
            .env("JAEGER_OTLP_HTTP_PORT", ports.otlp_http.to_string())
            .env("JAEGER_QUERY_PORT", ports.query.to_string())
            .env("JAEGER_QUERY_GRPC_PORT", ports.query_grpc.to_string())
            .env("JAEGER_HEALTH_PORT", ports.health.to_string())
            // Jaeger would read these for its own telemetry; they are ours.
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("OTEL_SERVICE_NAME")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(max_traces) = max_traces {
            command.env("JAEGER_MAX_TRACES", max_traces.to_string());
        }
        process::supervised(&mut command, None);
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let addrs = [ports.otlp_grpc, ports.otlp_http, ports.query].map(local);
        let ready = process::wait_ready("jaeger", &mut child, Duration::from_secs(60), || {
            addrs.iter().all(|addr| process::accepts(*addr))
        });
        if let Err(error) = ready {
            process::stop(&mut child, libc::SIGKILL, Duration::from_secs(1));
            let log = fs::read_to_string(&log_path).unwrap_or_default();
            return Err(error.context(format!("Jaeger's log:\n{log}")));
        }
        Ok(Self {
            child,
            ports,
            _temporary: None,
        })
    }

    /// Where services send spans: `OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP/gRPC).
    pub fn otlp_grpc_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.otlp_grpc)
    }

    /// The base URL of the query API (`/api/traces`, `/api/services`) and UI.
    pub fn query_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.query)
    }
}

impl Drop for Jaeger {
    fn drop(&mut self) {
        process::stop(&mut self.child, libc::SIGTERM, Duration::from_secs(10));
    }
}

fn local(port: u16) -> SocketAddr {
    (Ipv4Addr::LOCALHOST, port).into()
}

/// `otel/jaeger.yaml` in this source tree.
fn config_path() -> PathBuf {
    PathBuf::from(CONFIG)
}
