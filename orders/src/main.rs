//! The orders service binary: config from the environment, then the app.

use anyhow::Context;
use orderflow_runtime::{probe, shutdown, telemetry};
use orders::{App, config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if probe::requested() {
        let config = config::from_env().context("reading configuration")?;
        return probe::grpc(config.host.grpc_addr).await;
    }
    let config = config::from_env().context("reading configuration")?;
    let exporters = telemetry::init_with("orders", env!("CARGO_PKG_VERSION"), &config.telemetry)?;
    orderflow_runtime::crash::install(config.crash_points.clone());
    let app = App::build(config)
        .await
        .context("starting the orders service")?;
    tracing::info!(addr = %app.grpc_addr(), metrics = %app.metrics_addr(), "orders service listening");
    shutdown::run_service("orders", exporters, |stop| app.run_until_stopped(stop)).await
}
