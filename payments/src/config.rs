//! The payments service's configuration, read once from the environment.

use std::time::Duration;

use orderflow_host::HostConfig;
use orderflow_messaging::MessagingConfig;
use orderflow_runtime::{crash::CrashPoints, env};

orderflow_runtime::env_names! {
    /// The variables only payments reads, beside [`HostConfig`]'s and
    /// [`MessagingConfig`]'s.
    pub mod vars {
        PAYMENT_REQUESTED_TOPIC,
        PAYMENT_RESULT_TOPIC,
        CONSUMER_GROUP,
        IDEMPOTENCY_RETENTION_SECS,
        CRASH_POINTS,
    }
}

/// The topics payments uses.
#[derive(Clone, Debug)]
pub struct Topics {
    /// `PAYMENT_REQUESTED_TOPIC` (default `payments.requested`): payments
    /// consumes payment requests there.
    pub payment_requested: String,
    /// `PAYMENT_RESULT_TOPIC` (default `payments.results`): payments
    /// publishes payment results there.
    pub payment_results: String,
}

/// What payments runs with. It listens on 50052, serves metrics on 9465
/// and consumes in group `payments` by default.
#[derive(Clone, Debug)]
pub struct Config {
    pub host: HostConfig,
    pub messaging: MessagingConfig,
    pub topics: Topics,
    /// `CONSUMER_GROUP` (default `payments`).
    pub consumer_group: String,
    /// `IDEMPOTENCY_RETENTION_SECS` (default 1 day).
    pub idempotency_retention: Duration,
    /// `CRASH_POINTS`: fault injection for tests; empty in production.
    pub crash_points: CrashPoints,
}

/// Reads the payments service's configuration.
pub fn from_env() -> anyhow::Result<Config> {
    Ok(Config {
        host: HostConfig::from_env(50052, 9465)?,
        messaging: MessagingConfig::from_env()?,
        topics: Topics {
            payment_requested: env::string_or(vars::PAYMENT_REQUESTED_TOPIC, "payments.requested"),
            payment_results: env::string_or(vars::PAYMENT_RESULT_TOPIC, "payments.results"),
        },
        consumer_group: env::string_or(vars::CONSUMER_GROUP, "payments"),
        idempotency_retention: env::secs_or(
            vars::IDEMPOTENCY_RETENTION_SECS,
            Duration::from_secs(86_400),
        )?,
        crash_points: CrashPoints::parse(&env::string_or(vars::CRASH_POINTS, ""))?,
    })
}

/// Every variable the payments binary reads: its [`Config`] and telemetry.
pub fn env_vars() -> Vec<&'static str> {
    [
        orderflow_host::config::vars::ALL,
        orderflow_messaging::config::vars::ALL,
        vars::ALL,
        orderflow_runtime::telemetry::vars::ALL,
    ]
    .concat()
}
