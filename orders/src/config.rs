//! The orders service's configuration, read once from the environment.

use std::time::Duration;

use orderflow_messaging::ServiceConfig;
use orderflow_runtime::env;

orderflow_runtime::env_names! {
    /// The variables only orders reads, beside [`ServiceConfig`]'s.
    pub mod vars { WATCH_MAX_SECS }
}

/// What orders runs with: what every service has ([`ServiceConfig`];
/// orders listens on 50051, serves metrics on 9464 and consumes in group `orders` by default), and
/// its own settings.
#[derive(Clone, Debug)]
pub struct Config {
    pub service: ServiceConfig,
    /// `WATCH_MAX_SECS` (default 300): the longest one `WatchOrder` lasts.
    pub watch_max_lifetime: Duration,
}

/// The default of `WATCH_MAX_SECS`.
pub const WATCH_MAX_LIFETIME: Duration = Duration::from_secs(300);

impl From<ServiceConfig> for Config {
    /// `service` with orders' own defaults.
    fn from(service: ServiceConfig) -> Self {
        Self {
            service,
            watch_max_lifetime: WATCH_MAX_LIFETIME,
        }
    }
}

/// Reads the orders service's configuration.
pub fn from_env() -> anyhow::Result<Config> {
    let watch_max_lifetime = env::secs_or(vars::WATCH_MAX_SECS, WATCH_MAX_LIFETIME)?;
    anyhow::ensure!(
        !watch_max_lifetime.is_zero(),
        "WATCH_MAX_SECS must be above 0"
    );
    Ok(Config {
        service: ServiceConfig::from_env(50051, 9464, "orders")?,
        watch_max_lifetime,
    })
}

/// Every variable the orders binary reads: its [`Config`] and telemetry.
pub fn env_vars() -> Vec<&'static str> {
    [
        orderflow_messaging::config::vars::ALL,
        vars::ALL,
        orderflow_runtime::telemetry::vars::ALL,
    ]
    .concat()
}
