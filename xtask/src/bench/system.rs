//! The system under test: PostgreSQL (durable, as `cargo xtask run` keeps
//! it), Kafka and Jaeger, then the release builds of orders, payments and
//! the gateway, on free ports, their logs in one folder.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use orderflow_devstack::{Broker, Jaeger, Postgres, ensure_database, free_port, stop, supervise};

use crate::signals;

/// How long the services may take to report ready.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// Traces the bench's Jaeger keeps in memory (`otel/jaeger.yaml` keeps
/// 100,000). At 450 orders/s, two traces an order, 100,000 traces made
/// Jaeger's Go GC take 0.5–0.66 of a core for about 3 s every ~30 s, on a
/// box with 2; with 10,000 it stayed under 0.3.
pub const JAEGER_MAX_TRACES: usize = 10_000;

pub struct System {
    services: Vec<(&'static str, Child)>,
    pub gateway_url: String,
    pub orders_db: String,
    pub payments_db: String,
    pub ceiling_db: String,
    pub metrics_ports: Vec<(&'static str, u16)>,
    pub logs: PathBuf,
    // Dropped last, in this order: services first (above), then these.
    _jaeger: Jaeger,
    _broker: Broker,
    _postgres: Postgres,
    _postgres_folder: Option<tempfile::TempDir>,
}

impl System {
    /// Starts everything and waits until the gateway's `/readyz` says 200.
    /// `durable`: PostgreSQL with fsync on, as `cargo xtask run` keeps its
    /// data; else the tests' throwaway cluster (fsync off).
    pub fn start(binaries: &Path, logs: &Path, durable: bool) -> anyhow::Result<Self> {
        std::fs::create_dir_all(logs)?;
        let (postgres, folder) = if durable {
            let folder = tempfile::Builder::new()
                .prefix("orderflow-bench-pg-")
                .tempdir()?;
            // The server runs as an unprivileged user when we are root: let it in.
            std::fs::set_permissions(
                folder.path(),
                std::os::unix::fs::PermissionsExt::from_mode(0o755),
            )?;
            let postgres = Postgres::start_persistent(&folder.path().join("data"), free_port()?)
                .context("starting PostgreSQL")?;
            (postgres, Some(folder))
        } else {
            (
                Postgres::start_temporary().context("starting PostgreSQL")?,
                None,
            )
        };
        let broker = Broker::start_temporary().context("starting Kafka")?;
        let jaeger =
            Jaeger::start_temporary_keeping(Some(JAEGER_MAX_TRACES)).context("starting Jaeger")?;
        let runtime = tokio::runtime::Runtime::new()?;
        let orders_db = runtime.block_on(ensure_database(&postgres.url(), "orders"))?;
        let payments_db = runtime.block_on(ensure_database(&postgres.url(), "payments"))?;
        let ceiling_db = runtime.block_on(ensure_database(&postgres.url(), "ceiling"))?;
        let kafka = broker.bootstrap_servers();
        let otlp = jaeger.otlp_grpc_endpoint();
        let (orders_port, payments_port, gateway_port) = (free_port()?, free_port()?, free_port()?);
        let (orders_metrics, payments_metrics) = (free_port()?, free_port()?);
        let service_env = |db: &str, port: u16, metrics: u16| {
            vec![
                ("DATABASE_URL", db.to_owned()),
                ("KAFKA_BROKERS", kafka.clone()),
                ("GRPC_LISTEN_ADDR", format!("127.0.0.1:{port}")),
                ("METRICS_LISTEN_ADDR", format!("127.0.0.1:{metrics}")),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.clone()),
                // Jaeger takes traces only: metrics stay at /metrics.
                ("OTEL_METRICS_EXPORTER", "none".into()),
            ]
        };
        let specs: [(&'static str, Vec<(&str, String)>); 3] = [
            (
                "orders",
                service_env(&orders_db, orders_port, orders_metrics),
            ),
            (
                "payments",
                service_env(&payments_db, payments_port, payments_metrics),
            ),
            (
                "gateway",
                vec![
                    ("GATEWAY_LISTEN_ADDR", format!("127.0.0.1:{gateway_port}")),
                    ("ORDERS_URL", format!("http://127.0.0.1:{orders_port}")),
                    ("PAYMENTS_URL", format!("http://127.0.0.1:{payments_port}")),
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.clone()),
                    // Jaeger takes traces only: metrics stay at /metrics.
                    ("OTEL_METRICS_EXPORTER", "none".into()),
                    ("JAEGER_QUERY_URL", jaeger.query_url()),
                    ("JAEGER_UI_URL", jaeger.query_url()),
                ],
            ),
        ];
        let mut system = Self {
            services: Vec::new(),
            gateway_url: format!("http://127.0.0.1:{gateway_port}"),
            orders_db,
            payments_db,
            ceiling_db,
            metrics_ports: vec![("orders", orders_metrics), ("payments", payments_metrics)],
            logs: logs.to_owned(),
            _jaeger: jaeger,
            _broker: broker,
            _postgres: postgres,
            _postgres_folder: folder,
        };
        for (name, env) in specs {
            let log = File::create(logs.join(format!("{name}.log")))?;
            let mut command = Command::new(binaries.join(name));
            command
                .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log);
            supervise(&mut command);
            let child = command
                .spawn()
                .with_context(|| format!("starting {}", binaries.join(name).display()))?;
            system.services.push((name, child));
        }
        system.wait_ready(gateway_port)?;
        Ok(system)
    }

    fn wait_ready(&mut self, gateway_port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            self.check_alive()?;
            if signals::stop_requested() {
                bail!("stopped before the system was ready");
            }
            match http_get(gateway_port, "/readyz") {
                Ok((200, _)) => return Ok(()),
                answer if Instant::now() > deadline => {
                    bail!("the gateway was not ready within {READY_WITHIN:?}: {answer:?}")
                }
                _ => thread::sleep(Duration::from_millis(250)),
            }
        }
    }

    /// An error naming a service that exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for (name, child) in &mut self.services {
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "{name} exited with {status}; see {}",
                    self.logs.join(format!("{name}.log")).display()
                );
            }
        }
        Ok(())
    }

    /// The process id of a service, for a profiler.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.services
            .iter()
            .find(|(service, _)| *service == name)
            .map(|(_, child)| child.id())
    }
}

impl Drop for System {
    fn drop(&mut self) {
        for (_, child) in self.services.iter_mut().rev() {
            stop(child, libc::SIGTERM, Duration::from_secs(20));
        }
    }
}

/// The status and body of `GET path` at `127.0.0.1:port` (the run
/// command's reader, with a longer wait: a loaded service's `/metrics`).
pub fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    crate::run::ready::get_within(port, path, Duration::from_secs(5))
}

/// The sum of `messaging_consumer_lag` in a Prometheus text page.
pub fn consumer_lag(metrics: &str) -> Option<i64> {
    let values: Vec<i64> = metrics
        .lines()
        .filter(|line| line.starts_with("messaging_consumer_lag"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|value| value as i64)
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// Unpublished outbox rows in the database at `url`.
pub fn unpublished_outbox_rows(url: &str) -> anyhow::Result<i64> {
    let output = Command::new("psql")
        .args(["--no-psqlrc", "-At", "--dbname", url, "-c"])
        .arg("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .output()
        .context("running psql")?;
    if !output.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("psql's count")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_lag_sums_every_partition_and_is_none_before_the_first_sample() {
        let page = "\
# HELP messaging_consumer_lag Records of an assigned partition not yet consumed
# TYPE messaging_consumer_lag gauge
messaging_consumer_lag{partition=\"0\",topic=\"payments.requested\"} 3
messaging_consumer_lag{partition=\"1\",topic=\"payments.requested\"} 0
messaging_consumer_lag{partition=\"2\",topic=\"payments.requested\"} 4
messaging_consumed_total{topic=\"x\"} 99
";
        assert_eq!(consumer_lag(page), Some(7));
        assert_eq!(consumer_lag("# nothing yet\n"), None);
    }
}
