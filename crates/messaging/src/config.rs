//! How a service talks to Kafka and runs its relay, consumers and retention.

use std::time::Duration;

use orderflow_runtime::env;

orderflow_runtime::env_names! {
    /// Every variable [`MessagingConfig::from_env`] reads; it reads only these.
    pub mod vars {
        KAFKA_BROKERS,
        TOPIC_PARTITIONS,
        OUTBOX_BATCH_SIZE,
        OUTBOX_POLL_INTERVAL_MS,
        KAFKA_MESSAGE_TIMEOUT_MS,
        KAFKA_FETCH_WAIT_MS,
        OUTBOX_RETENTION_SECS,
        INBOX_RETENTION_SECS,
        RETENTION_INTERVAL_SECS,
    }
}

/// librdkafka's own default for `fetch.wait.max.ms`.
const FETCH_WAIT_MS: u64 = 500;

/// How a service talks to Kafka and runs its relay, consumer and retention.
#[derive(Clone, Debug)]
pub struct MessagingConfig {
    /// `KAFKA_BROKERS`: bootstrap servers, `host:port[,host:port]`.
    pub brokers: String,
    /// `TOPIC_PARTITIONS`: partitions of the topics created at start-up.
    pub partitions: i32,
    /// `OUTBOX_BATCH_SIZE`: rows one relay transaction claims.
    pub batch_size: u64,
    /// `OUTBOX_POLL_INTERVAL_MS`: the relay's fallback poll when no
    /// notification arrives.
    pub poll_interval: Duration,
    /// `KAFKA_MESSAGE_TIMEOUT_MS`: how long a record may wait for delivery
    /// before the relay gives up on this attempt and retries later.
    pub message_timeout: Duration,
    /// `KAFKA_FETCH_WAIT_MS`: how long the broker may hold a consumer's
    /// fetch while no records arrive (librdkafka's default, 500 ms). Kafka
    /// answers as soon as a record arrives, so this is no hop's delay.
    pub fetch_wait: Duration,
    /// `OUTBOX_RETENTION_SECS`: how long published rows are kept.
    pub outbox_retention: Duration,
    /// `INBOX_RETENTION_SECS`: how long handled event ids are kept; longer
    /// than any redelivery window (the broker's retention).
    pub inbox_retention: Duration,
    /// `RETENTION_INTERVAL_SECS`: how often old rows are deleted.
    pub retention_interval: Duration,
    /// The service's own tables the retention sweep also cleans (none by
    /// default; a service adds its own at start-up).
    pub retained: Vec<crate::retention::Retained>,
}

impl MessagingConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            brokers: env::required(vars::KAFKA_BROKERS)?,
            partitions: env::or(vars::TOPIC_PARTITIONS, 3)?,
            batch_size: env::or(vars::OUTBOX_BATCH_SIZE, 100)?,
            poll_interval: env::millis_or(vars::OUTBOX_POLL_INTERVAL_MS, Duration::from_secs(1))?,
            message_timeout: env::millis_or(
                vars::KAFKA_MESSAGE_TIMEOUT_MS,
                Duration::from_secs(10),
            )?,
            fetch_wait: env::millis_or(
                vars::KAFKA_FETCH_WAIT_MS,
                Duration::from_millis(FETCH_WAIT_MS),
            )?,
            outbox_retention: env::secs_or(
                vars::OUTBOX_RETENTION_SECS,
                Duration::from_secs(86_400),
            )?,
            inbox_retention: env::secs_or(
                vars::INBOX_RETENTION_SECS,
                Duration::from_secs(14 * 86_400),
            )?,
            retention_interval: env::secs_or(
                vars::RETENTION_INTERVAL_SECS,
                Duration::from_secs(600),
            )?,
            retained: Vec::new(),
        })
    }

    /// Defaults for `brokers`, as `from_env` would give them.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            partitions: 3,
            batch_size: 100,
            poll_interval: Duration::from_secs(1),
            message_timeout: Duration::from_secs(10),
            fetch_wait: Duration::from_millis(FETCH_WAIT_MS),
            outbox_retention: Duration::from_secs(86_400),
            inbox_retention: Duration::from_secs(14 * 86_400),
            retention_interval: Duration::from_secs(600),
            retained: Vec::new(),
        }
    }
}
