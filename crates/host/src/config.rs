//! What every hosted service is configured with, besides its messaging.

use std::{net::SocketAddr, time::Duration};

use orderflow_runtime::env;

orderflow_runtime::env_names! {
    /// Every variable [`HostConfig::from_env`] reads; it reads only these.
    pub mod vars {
        GRPC_LISTEN_ADDR,
        METRICS_LISTEN_ADDR,
        DATABASE_URL,
        DATABASE_MAX_CONNECTIONS,
        HEALTH_CHECK_INTERVAL_MS,
    }
}

/// Where a service listens, its database, and how often its health is checked.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// `GRPC_LISTEN_ADDR` (port 0 in tests).
    pub grpc_addr: SocketAddr,
    /// `METRICS_LISTEN_ADDR`: where `GET /metrics` answers (port 0 in tests).
    pub metrics_addr: SocketAddr,
    /// `DATABASE_URL`: the service's own database.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (default 10).
    pub database_max_connections: u32,
    /// `HEALTH_CHECK_INTERVAL_MS` (default 2000): how often the database
    /// and the broker are asked whether they answer.
    pub health_interval: Duration,
}

impl HostConfig {
    /// Reads the environment; `port` and `metrics_port` are the service's
    /// defaults.
    pub fn from_env(port: u16, metrics_port: u16) -> anyhow::Result<Self> {
        Ok(Self {
            grpc_addr: env::or(
                vars::GRPC_LISTEN_ADDR,
                SocketAddr::from(([0, 0, 0, 0], port)),
            )?,
            metrics_addr: env::or(
                vars::METRICS_LISTEN_ADDR,
                SocketAddr::from(([0, 0, 0, 0], metrics_port)),
            )?,
            database_url: env::required(vars::DATABASE_URL)?,
            database_max_connections: env::or(vars::DATABASE_MAX_CONNECTIONS, 10)?,
            health_interval: env::millis_or(
                vars::HEALTH_CHECK_INTERVAL_MS,
                Duration::from_secs(2),
            )?,
        })
    }
}
