//! The payments service binary: config from the environment, then the app.

use anyhow::Context;
use orderflow_runtime::{probe, shutdown, telemetry};
use payments::{App, config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if probe::requested() {
        let config = config::from_env().context("reading configuration")?;
        return probe::grpc(config.host.grpc_addr).await;
    }
    let config = config::from_env().context("reading configuration")?;
    let exporters = telemetry::init_with("payments", env!("CARGO_PKG_VERSION"), &config.telemetry)?;
    orderflow_runtime::crash::install(config.crash_points.clone());
    let app = App::build(config)
        .await
        .context("starting the payments service")?;
    tracing::info!(addr = %app.grpc_addr(), metrics = %app.metrics_addr(), "payments service listening");
    shutdown::run_service("payments", exporters, |stop| app.run_until_stopped(stop)).await
}
