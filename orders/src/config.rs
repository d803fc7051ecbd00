//! The orders service's configuration, read once from the environment.

use orderflow_messaging::{ServiceConfig, config::vars};

/// See [`ServiceConfig`] for every setting; orders listens on 50051 and
/// consumes in group `orders` by default.
pub type Config = ServiceConfig;

/// Reads the orders service's configuration.
pub fn from_env() -> anyhow::Result<Config> {
    ServiceConfig::from_env(50051, "orders")
}

/// Every variable the orders binary reads: its [`Config`] and telemetry.
pub fn env_vars() -> Vec<&'static str> {
    [vars::ALL, orderflow_runtime::telemetry::vars::ALL].concat()
}
