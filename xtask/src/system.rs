//! `cargo xtask run`: PostgreSQL and Kafka with their data in `.data/` (kept
//! across runs), Jaeger, then orders, payments and the gateway exporting their
//! traces to it, until Ctrl-C stops them all (services first, then Jaeger,
//! Kafka and PostgreSQL).

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode},
    thread,
    time::Duration,
};

use anyhow::{Context, bail};
use orderflow_devstack::{
    Broker, Jaeger, JaegerPorts, Postgres, ensure_database, install, stop, supervise,
};

use crate::{signals, tools};

/// A port from the environment, or the default.
fn port(name: &str, default: u16) -> anyhow::Result<u16> {
    match std::env::var(name) {
        Ok(value) => value.parse().with_context(|| format!("{name}={value}")),
        Err(_) => Ok(default),
    }
}

pub fn run() -> anyhow::Result<ExitCode> {
    signals::install();
    let root = workspace_root();
    let data = root.join(".data");
    install::ensure_kafka()?;
    install::ensure_jaeger()?;
    build_services(&root)?;

    let postgres = Postgres::start_persistent(
        &data.join("postgres"),
        port("ORDERFLOW_POSTGRES_PORT", 5432)?,
    )
    .context("starting PostgreSQL")?;
    let broker = Broker::start_persistent(
        &data.join("kafka"),
        port("ORDERFLOW_KAFKA_PORT", 9092)?,
        port("ORDERFLOW_KAFKA_CONTROLLER_PORT", 9093)?,
    )
    .context("starting Kafka")?;
    let logs = data.join("logs");
    let jaeger = Jaeger::start(
        &logs,
        JaegerPorts {
            otlp_grpc: port("ORDERFLOW_OTLP_PORT", 4317)?,
            otlp_http: port("ORDERFLOW_OTLP_HTTP_PORT", 4318)?,
            query: port("ORDERFLOW_JAEGER_PORT", 16686)?,
            ..JaegerPorts::conventional()
        },
    )
    .context("starting Jaeger")?;
    let otlp = jaeger.otlp_grpc_endpoint();
    let runtime = tokio::runtime::Runtime::new()?;
    let orders_db = runtime.block_on(ensure_database(&postgres.url(), "orders"))?;
    let payments_db = runtime.block_on(ensure_database(&postgres.url(), "payments"))?;
    let orders_port = port("ORDERFLOW_ORDERS_PORT", 50051)?;
    let payments_port = port("ORDERFLOW_PAYMENTS_PORT", 50052)?;
    let gateway_port = port("ORDERFLOW_GATEWAY_PORT", 8080)?;
    let kafka = broker.bootstrap_servers();

    let mut services = vec![
        spawn(
            &root,
            &logs,
            "orders",
            &[
                ("DATABASE_URL", orders_db.clone()),
                ("KAFKA_BROKERS", kafka.clone()),
                ("GRPC_LISTEN_ADDR", format!("127.0.0.1:{orders_port}")),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.clone()),
            ],
        )?,
        spawn(
            &root,
            &logs,
            "payments",
            &[
                ("DATABASE_URL", payments_db.clone()),
                ("KAFKA_BROKERS", kafka.clone()),
                ("GRPC_LISTEN_ADDR", format!("127.0.0.1:{payments_port}")),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.clone()),
            ],
        )?,
        spawn(
            &root,
            &logs,
            "gateway",
            &[
                ("GATEWAY_LISTEN_ADDR", format!("127.0.0.1:{gateway_port}")),
                ("ORDERS_URL", format!("http://127.0.0.1:{orders_port}")),
                ("PAYMENTS_URL", format!("http://127.0.0.1:{payments_port}")),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.clone()),
            ],
        )?,
    ];

    println!(
        "orderflow is running (data in {}, logs in {}):",
        data.display(),
        logs.display()
    );
    println!(
        "  Gateway (REST)   http://127.0.0.1:{gateway_port}   Swagger UI: http://127.0.0.1:{gateway_port}/swagger"
    );
    println!("  orders (gRPC)    127.0.0.1:{orders_port}");
    println!("  payments (gRPC)  127.0.0.1:{payments_port}");
    println!("  PostgreSQL       {orders_db}");
    println!("                   {payments_db}");
    println!("  Kafka            {kafka}");
    println!("  Jaeger           {}   (OTLP {otlp})", jaeger.query_url());
    println!("Press Ctrl-C to stop.");

    let mut failed = None;
    while !signals::stop_requested() && failed.is_none() {
        for (name, child) in &mut services {
            if let Ok(Some(status)) = child.try_wait() {
                failed = Some(format!(
                    "{name} exited with {status}; see {}",
                    logs.join(format!("{name}.log")).display()
                ));
            }
        }
        thread::sleep(Duration::from_millis(200));
    }
    println!("stopping");
    for (_, child) in services.iter_mut().rev() {
        stop(child, libc::SIGTERM, Duration::from_secs(20));
    }
    drop(jaeger);
    drop(broker);
    drop(postgres);
    match failed {
        Some(reason) => bail!(reason),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn build_services(root: &Path) -> anyhow::Result<()> {
    let status = tools::cargo()
        .current_dir(root)
        .args([
            "build", "--bin", "orders", "--bin", "payments", "--bin", "gateway",
        ])
        .status()
        .context("building the services")?;
    if !status.success() {
        bail!("building the services failed with {status}");
    }
    Ok(())
}

fn spawn(
    root: &Path,
    logs: &Path,
    name: &'static str,
    env: &[(&str, String)],
) -> anyhow::Result<(&'static str, Child)> {
    let log = std::fs::File::create(logs.join(format!("{name}.log")))?;
    let mut command = Command::new(root.join("target/debug").join(name));
    command
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
        .stdout(log.try_clone()?)
        .stderr(log);
    supervise(&mut command);
    let child = command
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    Ok((name, child))
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}
