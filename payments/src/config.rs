//! The payments service's configuration, read once from the environment.

use orderflow_messaging::{ServiceConfig, config::vars};

/// See [`ServiceConfig`] for every setting; payments listens on 50052, serves metrics on 9465 and
/// consumes in group `payments` by default.
pub type Config = ServiceConfig;

/// Reads the payments service's configuration.
pub fn from_env() -> anyhow::Result<Config> {
    ServiceConfig::from_env(50052, 9465, "payments")
}

/// Every variable the payments binary reads: its [`Config`] and telemetry.
pub fn env_vars() -> Vec<&'static str> {
    [vars::ALL, orderflow_runtime::telemetry::vars::ALL].concat()
}
