//! The gateway binary: config → telemetry → build → serve until Ctrl-C or SIGTERM.

use anyhow::Context;
use gateway::{App, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if orderflow_runtime::probe::requested() {
        let config = Config::from_env().context("reading the gateway configuration")?;
        return orderflow_runtime::probe::http(config.listen_addr, "/readyz").await;
    }
    let _telemetry = orderflow_runtime::telemetry::init("gateway", env!("CARGO_PKG_VERSION"))?;
    let config = Config::from_env().context("reading the gateway configuration")?;
    tracing::info!(
        orders = %config.orders_url,
        payments = %config.payments_url,
        timeout_ms = config.request_timeout.as_millis(),
        "starting the gateway"
    );
    let shutdown = orderflow_runtime::shutdown::signal();
    let app = App::build(config).await?;
    app.run_until_stopped(shutdown).await
}
