//! The payments service's configuration, read once from the environment.

use std::time::Duration;

use orderflow_host::HostConfig;
use orderflow_messaging::MessagingConfig;
use orderflow_runtime::{crash::CrashPoints, env, telemetry::TelemetryConfig};

/// The topics payments uses.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct Topics {
    /// `PAYMENT_REQUESTED_TOPIC` (default `payments.requested`): payments
    /// consumes payment requests there.
    #[serde(rename = "PAYMENT_REQUESTED_TOPIC")]
    pub payment_requested: String,
    /// `PAYMENT_RESULT_TOPIC` (default `payments.results`): payments
    /// publishes payment results there.
    #[serde(rename = "PAYMENT_RESULT_TOPIC")]
    pub payment_results: String,
}

impl Default for Topics {
    fn default() -> Self {
        Self {
            payment_requested: "payments.requested".into(),
            payment_results: "payments.results".into(),
        }
    }
}

/// What payments runs with. It listens on 50052, serves metrics on 9465
/// and consumes in group `payments` by default.
#[derive(Clone, Debug)]
pub struct Config {
    pub host: HostConfig,
    pub messaging: MessagingConfig,
    pub telemetry: TelemetryConfig,
    pub topics: Topics,
    /// `CONSUMER_GROUP` (default `payments`).
    pub consumer_group: String,
    /// `IDEMPOTENCY_RETENTION_SECS` (default 1 day).
    pub idempotency_retention: Duration,
    /// `CRASH_POINTS`: fault injection for tests; empty in production.
    pub crash_points: CrashPoints,
}

/// Payments' own variables besides its topics.
#[derive(Debug, serde::Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "CONSUMER_GROUP")]
    consumer_group: String,
    #[serde(rename = "IDEMPOTENCY_RETENTION_SECS", deserialize_with = "env::secs")]
    idempotency_retention: Duration,
    #[serde(
        rename = "CRASH_POINTS",
        deserialize_with = "orderflow_runtime::crash::deserialize"
    )]
    crash_points: CrashPoints,
}

impl Default for Own {
    fn default() -> Self {
        Self {
            consumer_group: "payments".into(),
            idempotency_retention: Duration::from_secs(86_400),
            crash_points: CrashPoints::default(),
        }
    }
}

/// Reads the payments service's configuration from the environment, once;
/// a malformed or unknown value is an error naming its variable.
pub fn from_env() -> anyhow::Result<Config> {
    let own: Own = env::load(&[])?;
    Ok(Config {
        host: HostConfig::from_env(50052, 9465)?,
        messaging: MessagingConfig::from_env()?,
        telemetry: TelemetryConfig::from_env()?,
        topics: env::load(&[])?,
        consumer_group: own.consumer_group,
        idempotency_retention: own.idempotency_retention,
        crash_points: own.crash_points,
    })
}

/// Every variable the payments binary reads: its [`Config`], telemetry included.
pub fn env_vars() -> Vec<&'static str> {
    [
        env::names::<HostConfig>(),
        env::names::<MessagingConfig>(),
        env::names::<Topics>(),
        env::names::<Own>(),
        env::names::<TelemetryConfig>(),
    ]
    .concat()
}
