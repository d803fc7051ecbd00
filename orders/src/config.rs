//! The orders service's configuration, read once from the environment.

use std::time::Duration;

use orderflow_host::HostConfig;
use orderflow_messaging::MessagingConfig;
use orderflow_runtime::{crash::CrashPoints, env, telemetry::TelemetryConfig};

/// The topics orders uses.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct Topics {
    /// `PAYMENT_REQUESTED_TOPIC` (default `payments.requested`): orders
    /// publishes payment requests there.
    #[serde(rename = "PAYMENT_REQUESTED_TOPIC")]
    pub payment_requested: String,
    /// `PAYMENT_RESULT_TOPIC` (default `payments.results`): orders consumes
    /// payment results there.
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

/// What orders runs with. It listens on 50051, serves metrics on 9464 and
/// consumes in group `orders` by default.
#[derive(Clone, Debug)]
pub struct Config {
    pub host: HostConfig,
    pub messaging: MessagingConfig,
    pub telemetry: TelemetryConfig,
    pub topics: Topics,
    /// `CONSUMER_GROUP` (default `orders`).
    pub consumer_group: String,
    /// `IDEMPOTENCY_RETENTION_SECS` (default 1 day): how long idempotency
    /// keys and their answers are kept; a key used again later is new.
    pub idempotency_retention: Duration,
    /// `WATCH_MAX_SECS` (default 300): the longest one `WatchOrder` lasts.
    pub watch_max_lifetime: Duration,
    /// `CRASH_POINTS`: fault injection for tests (the relay's and the
    /// consumer's points); refused unless built with `crash-points`.
    pub crash_points: CrashPoints,
}

/// The default of `WATCH_MAX_SECS`.
pub const WATCH_MAX_LIFETIME: Duration = Duration::from_secs(300);

/// Orders' own variables besides its topics.
#[derive(Debug, serde::Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "CONSUMER_GROUP")]
    consumer_group: String,
    #[serde(rename = "IDEMPOTENCY_RETENTION_SECS", deserialize_with = "env::secs")]
    idempotency_retention: Duration,
    #[serde(rename = "WATCH_MAX_SECS", deserialize_with = "env::secs")]
    watch_max_lifetime: Duration,
    #[serde(
        rename = "CRASH_POINTS",
        deserialize_with = "orderflow_runtime::crash::deserialize"
    )]
    crash_points: CrashPoints,
}

impl Default for Own {
    fn default() -> Self {
        Self {
            consumer_group: "orders".into(),
            idempotency_retention: Duration::from_secs(86_400),
            watch_max_lifetime: WATCH_MAX_LIFETIME,
            crash_points: CrashPoints::default(),
        }
    }
}

/// Reads the orders service's configuration from the environment, once;
/// a malformed or unknown value is an error naming its variable.
pub fn from_env() -> anyhow::Result<Config> {
    let own: Own = env::load(&[])?;
    anyhow::ensure!(
        !own.watch_max_lifetime.is_zero(),
        "WATCH_MAX_SECS must be above 0"
    );
    Ok(Config {
        host: HostConfig::from_env(50051, 9464)?,
        messaging: MessagingConfig::from_env()?,
        telemetry: TelemetryConfig::from_env()?,
        topics: env::load(&[])?,
        consumer_group: own.consumer_group,
        idempotency_retention: own.idempotency_retention,
        watch_max_lifetime: own.watch_max_lifetime,
        crash_points: own.crash_points,
    })
}

/// Every variable the orders binary reads: its [`Config`], telemetry included.
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
