//! `cargo xtask run`: PostgreSQL and the broker with their data in `.data/`
//! (kept across runs), then every service, until Ctrl-C stops them all.

use std::{path::PathBuf, thread, time::Duration};

use anyhow::Context;
use orderflow_devstack::{Broker, Postgres, ensure_database};

use crate::{signals, tools};

/// Ports, overridable for a machine where the defaults are taken.
fn port(name: &str, default: u16) -> anyhow::Result<u16> {
    match std::env::var(name) {
        Ok(value) => value.parse().with_context(|| format!("{name}={value}")),
        Err(_) => Ok(default),
    }
}

pub fn run() -> anyhow::Result<std::process::ExitCode> {
    signals::install();
    let root = workspace_root();
    let data = root.join(".data");
    tools::ensure_tansu()?;

    let postgres = Postgres::start_persistent(
        &data.join("postgres"),
        port("ORDERFLOW_POSTGRES_PORT", 5432)?,
    )
    .context("starting PostgreSQL")?;
    let broker = Broker::start_persistent(&data.join("kafka"), port("ORDERFLOW_KAFKA_PORT", 9092)?)
        .context("starting the tansu broker")?;
    let runtime = tokio::runtime::Runtime::new()?;
    let orders_db = runtime.block_on(ensure_database(&postgres.url(), "orders"))?;
    let payments_db = runtime.block_on(ensure_database(&postgres.url(), "payments"))?;

    println!("orderflow is running (data in {}):", data.display());
    println!("  PostgreSQL   {}", postgres.url());
    println!("    orders     {orders_db}");
    println!("    payments   {payments_db}");
    println!("  Kafka        {}", broker.bootstrap_servers());
    println!("Press Ctrl-C to stop.");

    while !signals::stop_requested() {
        thread::sleep(Duration::from_millis(200));
    }
    println!("stopping");
    drop(broker);
    drop(postgres);
    Ok(std::process::ExitCode::SUCCESS)
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}
