//! The orders service's configuration, read once from the environment.

use std::time::Duration;

use orderflow_host::HostConfig;
use orderflow_messaging::MessagingConfig;
use orderflow_runtime::env;

orderflow_runtime::env_names! {
    /// The variables only orders reads, beside [`HostConfig`]'s and
    /// [`MessagingConfig`]'s.
    pub mod vars {
        PAYMENT_REQUESTED_TOPIC,
        PAYMENT_RESULT_TOPIC,
        CONSUMER_GROUP,
        IDEMPOTENCY_RETENTION_SECS,
        WATCH_MAX_SECS,
    }
}

/// The topics orders uses.
#[derive(Clone, Debug)]
pub struct Topics {
    /// `PAYMENT_REQUESTED_TOPIC` (default `payments.requested`): orders
    /// publishes payment requests there.
    pub payment_requested: String,
    /// `PAYMENT_RESULT_TOPIC` (default `payments.results`): orders consumes
    /// payment results there.
    pub payment_results: String,
}

/// What orders runs with. It listens on 50051, serves metrics on 9464 and
/// consumes in group `orders` by default.
#[derive(Clone, Debug)]
pub struct Config {
    pub host: HostConfig,
    pub messaging: MessagingConfig,
    pub topics: Topics,
    /// `CONSUMER_GROUP` (default `orders`).
    pub consumer_group: String,
    /// `IDEMPOTENCY_RETENTION_SECS` (default 1 day): how long idempotency
    /// keys and their answers are kept; a key used again later is new.
    pub idempotency_retention: Duration,
    /// `WATCH_MAX_SECS` (default 300): the longest one `WatchOrder` lasts.
    pub watch_max_lifetime: Duration,
}

/// The default of `WATCH_MAX_SECS`.
pub const WATCH_MAX_LIFETIME: Duration = Duration::from_secs(300);

/// Reads the orders service's configuration.
pub fn from_env() -> anyhow::Result<Config> {
    let watch_max_lifetime = env::secs_or(vars::WATCH_MAX_SECS, WATCH_MAX_LIFETIME)?;
    anyhow::ensure!(
        !watch_max_lifetime.is_zero(),
        "WATCH_MAX_SECS must be above 0"
    );
    Ok(Config {
        host: HostConfig::from_env(50051, 9464)?,
        messaging: MessagingConfig::from_env()?,
        topics: Topics {
            payment_requested: env::string_or(vars::PAYMENT_REQUESTED_TOPIC, "payments.requested"),
            payment_results: env::string_or(vars::PAYMENT_RESULT_TOPIC, "payments.results"),
        },
        consumer_group: env::string_or(vars::CONSUMER_GROUP, "orders"),
        idempotency_retention: env::secs_or(
            vars::IDEMPOTENCY_RETENTION_SECS,
            Duration::from_secs(86_400),
        )?,
        watch_max_lifetime,
    })
}

/// Every variable the orders binary reads: its [`Config`] and telemetry.
pub fn env_vars() -> Vec<&'static str> {
    [
        orderflow_host::config::vars::ALL,
        orderflow_messaging::config::vars::ALL,
        vars::ALL,
        orderflow_runtime::telemetry::vars::ALL,
    ]
    .concat()
}
