//! The payments service's configuration, read once from the environment.

use std::net::SocketAddr;

use orderflow_messaging::MessagingConfig;
use orderflow_runtime::{crash::CrashPoints, env};

#[derive(Clone, Debug)]
pub struct Config {
    /// `GRPC_LISTEN_ADDR` (default `0.0.0.0:50052`; port 0 in tests).
    pub grpc_addr: SocketAddr,
    /// `DATABASE_URL`: the payments database.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (default 10).
    pub database_max_connections: u32,
    /// Kafka, relay and retention settings.
    pub messaging: MessagingConfig,
    /// `PAYMENT_REQUESTED_TOPIC` (default `payments.requested`): where payment
    /// requests arrive.
    pub payment_requested_topic: String,
    /// `PAYMENT_RESULT_TOPIC` (default `payments.results`): where payment
    /// results are published.
    pub payment_result_topic: String,
    /// `CONSUMER_GROUP` (default `payments`).
    pub consumer_group: String,
    /// `CRASH_POINTS`: fault injection for tests; empty in production.
    pub crash_points: CrashPoints,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            grpc_addr: env::or("GRPC_LISTEN_ADDR", SocketAddr::from(([0, 0, 0, 0], 50052)))?,
            database_url: env::required("DATABASE_URL")?,
            database_max_connections: env::or("DATABASE_MAX_CONNECTIONS", 10)?,
            messaging: MessagingConfig::from_env()?,
            payment_requested_topic: env::string_or(
                "PAYMENT_REQUESTED_TOPIC",
                "payments.requested",
            ),
            payment_result_topic: env::string_or("PAYMENT_RESULT_TOPIC", "payments.results"),
            consumer_group: env::string_or("CONSUMER_GROUP", "payments"),
            crash_points: CrashPoints::parse(&env::string_or("CRASH_POINTS", ""))?,
        })
    }
}
