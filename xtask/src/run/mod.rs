//! `cargo xtask run`: the whole system on this machine. PostgreSQL (one
//! database per service) and Kafka keep their data in `.data/` across runs,
//! Jaeger keeps traces in memory; orders, payments and the gateway (release
//! builds, or the debug builds with `--debug`) export their traces to it, and
//! the gateway serves the SPA when `frontend/` is there. The addresses are
//! printed once every part answers its health check; Ctrl-C stops everything,
//! services first, then Jaeger, Kafka and PostgreSQL.

mod lock;
mod logs;
mod ports;
pub(crate) mod ready;

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use orderflow_devstack::{
    Broker, Jaeger, JaegerPorts, Postgres, ensure_database, free_port, install, stop, supervise,
};

use crate::{frontend, signals, tools};
use logs::Sink;
use ports::Ports;

/// How long the system may take to answer its health checks.
const READY_WITHIN: Duration = Duration::from_secs(180);

/// What `cargo xtask run` was asked for.
#[derive(Debug, Default)]
pub struct Flags {
    /// `--fresh`: delete `.data/` first.
    pub fresh: bool,
    /// `--debug`: run the debug binaries (and the SPA) already built, by
    /// `cargo build` or the test command, instead of release ones.
    pub debug: bool,
}

impl Flags {
    pub fn parse(args: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let mut flags = Self::default();
        for arg in args {
            match arg.as_str() {
                "--fresh" => flags.fresh = true,
                "--debug" => flags.debug = true,
                other => bail!("unknown flag {other:?}; cargo xtask run [--fresh] [--debug]"),
            }
        }
        Ok(flags)
    }
}

/// One running service.
struct Service {
    name: &'static str,
    child: Child,
    sink: Sink,
}

pub fn run(flags: Flags) -> anyhow::Result<ExitCode> {
    signals::install();
    let root = tools::workspace_root();
    let data = std::env::var_os("ORDERFLOW_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".data"));
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let _lock = lock::RunLock::acquire(&data)?;
    if flags.fresh {
        lock::clear(&data)?;
    }
    let ports = Ports::from_env()?;
    ports.ensure_free()?;

    let started = Instant::now();
    install::ensure_kafka()?;
    install::ensure_jaeger()?;
    let binaries = binaries(&root, flags.debug)?;
    let spa = match frontend::folder(&root) {
        // --debug reuses what the test command built, the SPA included.
        Some(folder) if flags.debug && folder.join("dist").join("index.html").is_file() => {
            Some(folder.join("dist"))
        }
        Some(folder) => {
            frontend::install(&folder)?;
            Some(frontend::build(&folder)?)
        }
        None => None,
    };

    let logs = data.join("logs");
    std::fs::create_dir_all(&logs)?;
    eprintln!("xtask: starting PostgreSQL, Kafka and Jaeger");
    let postgres = Postgres::start_persistent(&data.join("postgres"), ports.postgres)
        .context("starting PostgreSQL")?;
    let broker = Broker::start_persistent(&data.join("kafka"), ports.kafka, ports.kafka_controller)
        .context("starting Kafka")?;
    let jaeger = Jaeger::start(
        &logs,
        JaegerPorts {
            otlp_grpc: ports.otlp,
            otlp_http: ports.otlp_http,
            query: ports.jaeger,
            // Not published: free ports, so nothing else needs to move.
            query_grpc: free_port()?,
            health: free_port()?,
        },
    )
    .context("starting Jaeger")?;
    let runtime = tokio::runtime::Runtime::new()?;
    let orders_db = runtime.block_on(ensure_database(&postgres.url(), "orders"))?;
    let payments_db = runtime.block_on(ensure_database(&postgres.url(), "payments"))?;
    let kafka = broker.bootstrap_servers();
    let otlp = jaeger.otlp_grpc_endpoint();
    let orders_addr = format!("127.0.0.1:{}", ports.orders);
    let payments_addr = format!("127.0.0.1:{}", ports.payments);
    let gateway_url = format!("http://127.0.0.1:{}", ports.gateway);

    let mut gateway_env = vec![
        (
            "GATEWAY_LISTEN_ADDR",
            format!("127.0.0.1:{}", ports.gateway),
        ),
        ("ORDERS_URL", format!("http://{orders_addr}")),
        ("PAYMENTS_URL", format!("http://{payments_addr}")),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.clone()),
        // Jaeger takes traces only: metrics stay at /metrics.
        ("OTEL_METRICS_EXPORTER", "none".into()),
        ("JAEGER_QUERY_URL", jaeger.query_url()),
        ("JAEGER_UI_URL", jaeger.query_url()),
    ];
    if let Some(dist) = &spa {
        gateway_env.push(("SPA_DIR", dist.display().to_string()));
    }
    let specs: [(&'static str, Vec<(&str, String)>); 3] = [
        (
            "orders",
            vec![
                ("DATABASE_URL", orders_db.clone()),
                ("KAFKA_BROKERS", kafka.clone()),
                ("GRPC_LISTEN_ADDR", orders_addr.clone()),
                (
                    "METRICS_LISTEN_ADDR",
                    format!("127.0.0.1:{}", ports.orders_metrics),
                ),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.clone()),
                // Jaeger takes traces only: metrics stay at /metrics.
                ("OTEL_METRICS_EXPORTER", "none".into()),
            ],
        ),
        (
            "payments",
            vec![
                ("DATABASE_URL", payments_db.clone()),
                ("KAFKA_BROKERS", kafka.clone()),
                ("GRPC_LISTEN_ADDR", payments_addr.clone()),
                (
                    "METRICS_LISTEN_ADDR",
                    format!("127.0.0.1:{}", ports.payments_metrics),
                ),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.clone()),
                // Jaeger takes traces only: metrics stay at /metrics.
                ("OTEL_METRICS_EXPORTER", "none".into()),
            ],
        ),
        ("gateway", gateway_env),
    ];
    let mut services = Vec::with_capacity(specs.len());
    for (index, (name, env)) in specs.into_iter().enumerate() {
        services.push(spawn(&binaries, &logs, name, index, &env)?);
    }

    let outcome = match wait_until_ready(&mut services, ports.gateway, ports.jaeger) {
        Ok(()) => {
            eprintln!("xtask: ready after {:.0?}", started.elapsed());
            print_addresses(&ports, &gateway_url, spa.is_some(), &jaeger, &data);
            println!("  PostgreSQL       {orders_db}");
            println!("                   {payments_db}");
            println!("  Kafka            {kafka}");
            println!("Press Ctrl-C to stop.");
            watch(&mut services)
        }
        Err(error) => Err(error),
    };

    eprintln!("xtask: stopping the services, then Jaeger, Kafka and PostgreSQL");
    for service in services.iter_mut().rev() {
        stop(&mut service.child, libc::SIGTERM, Duration::from_secs(20));
    }
    drop(jaeger);
    drop(broker);
    drop(postgres);
    eprintln!("xtask: stopped");
    outcome.map(|()| ExitCode::SUCCESS)
}

/// The folder with the three service binaries: built in release, or the
/// debug ones already there.
fn binaries(root: &Path, debug: bool) -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let names = ["orders", "payments", "gateway"];
    if debug {
        let folder = target.join("debug");
        if let Some(missing) = names.iter().find(|name| !folder.join(name).is_file()) {
            bail!(
                "--debug runs the debug binaries already built, and {} is missing: \
                 run `cargo build --bins` first",
                folder.join(missing).display()
            );
        }
        return Ok(folder);
    }
    eprintln!(
        "xtask: building the services (release; the first build takes several minutes, later \
         ones only rebuild what changed)"
    );
    let mut args = vec!["build", "--release"];
    args.extend(names.iter().flat_map(|name| ["--bin", *name]));
    tools::run_cargo(root, &args, "building the services")?;
    Ok(target.join("release"))
}

fn spawn(
    binaries: &Path,
    logs: &Path,
    name: &'static str,
    index: usize,
    env: &[(&str, String)],
) -> anyhow::Result<Service> {
    let sink = Sink::create(logs, name, index)?;
    let mut command = Command::new(binaries.join(name));
    command
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    supervise(&mut command);
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", binaries.join(name).display()))?;
    if let Some(stdout) = child.stdout.take() {
        sink.follow(stdout);
    }
    if let Some(stderr) = child.stderr.take() {
        sink.follow(stderr);
    }
    Ok(Service { name, child, sink })
}

/// Waits until every part answers its health check, a service dies, Ctrl-C,
/// or [`READY_WITHIN`] passes.
fn wait_until_ready(services: &mut [Service], gateway: u16, jaeger: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        exited(services)?;
        if signals::stop_requested() {
            bail!("stopped before the system was ready");
        }
        match ready::pending(gateway, jaeger) {
            None => return Ok(()),
            Some(waiting) if Instant::now() > deadline => {
                bail!("the system was not ready within {READY_WITHIN:?}: {waiting}")
            }
            Some(_) => thread::sleep(Duration::from_millis(250)),
        }
    }
}

/// Runs until Ctrl-C (Ok) or until a service dies (Err with its log's tail).
fn watch(services: &mut [Service]) -> anyhow::Result<()> {
    while !signals::stop_requested() {
        exited(services)?;
        thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// An error naming the first service that exited, with the end of its log.
fn exited(services: &mut [Service]) -> anyhow::Result<()> {
    for service in services.iter_mut() {
        if let Ok(Some(status)) = service.child.try_wait() {
            bail!(
                "{} exited with {status}; the end of {}:\n{}",
                service.name,
                service.sink.path().display(),
                service.sink.tail(20)
            );
        }
    }
    Ok(())
}

fn print_addresses(ports: &Ports, gateway_url: &str, spa: bool, jaeger: &Jaeger, data: &Path) {
    println!("orderflow is ready (data in {}):", data.display());
    if spa {
        println!("  SPA              {gateway_url}/");
    }
    println!("  REST API         {gateway_url}/api");
    println!("  Swagger UI       {gateway_url}/swagger/");
    println!(
        "  Jaeger           {}   (query API: {}/api/traces?service=orders)",
        jaeger.query_url(),
        jaeger.query_url()
    );
    println!(
        "  Metrics          {gateway_url}/metrics   http://127.0.0.1:{}/metrics (orders)   \
         http://127.0.0.1:{}/metrics (payments)",
        ports.orders_metrics, ports.payments_metrics
    );
    println!(
        "  orders (gRPC)    127.0.0.1:{}   grpcurl -plaintext 127.0.0.1:{} list",
        ports.orders, ports.orders
    );
    println!(
        "  payments (gRPC)  127.0.0.1:{}   grpcurl -plaintext 127.0.0.1:{} list",
        ports.payments, ports.payments
    );
}
