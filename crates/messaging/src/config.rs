//! How a service talks to Kafka and runs its relay, consumers and retention:
//! a section of each service's configuration, loaded with
//! [`orderflow_runtime::env::load`] (field names are the variables).

use std::time::Duration;

use orderflow_runtime::env;

/// librdkafka's own default for `fetch.wait.max.ms`.
const FETCH_WAIT_MS: u64 = 500;

/// The default of `CONSUMER_MAX_ATTEMPTS`.
const MAX_ATTEMPTS: u32 = 5;

/// The default of `CONSUMER_BATCH_SIZE`.
const CONSUMER_BATCH_SIZE: usize = 100;

/// The most `CONSUMER_BATCH_SIZE` may be: a batch's inbox insert binds one
/// parameter per record, and PostgreSQL takes at most 65,535 per statement.
const MAX_CONSUMER_BATCH_SIZE: usize = 10_000;

/// How a service talks to Kafka and runs its relay, consumer and retention.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct MessagingConfig {
    /// `KAFKA_BROKERS` (required): bootstrap servers, `host:port[,host:port]`.
    #[serde(rename = "KAFKA_BROKERS")]
    pub brokers: String,
    /// `TOPIC_PARTITIONS` (default 3): partitions of the topics created at
    /// start-up.
    #[serde(rename = "TOPIC_PARTITIONS", deserialize_with = "env::parsed")]
    pub partitions: i32,
    /// `TOPIC_REPLICATION_FACTOR` (default 1; 3 in a real cluster): replicas
    /// of each topic created at start-up, and of its `.dlq`.
    #[serde(rename = "TOPIC_REPLICATION_FACTOR", deserialize_with = "env::parsed")]
    pub(crate) replication_factor: i32,
    /// `OUTBOX_BATCH_SIZE` (default 100): rows one relay transaction claims.
    #[serde(rename = "OUTBOX_BATCH_SIZE", deserialize_with = "env::parsed")]
    pub batch_size: u64,
    /// `OUTBOX_POLL_INTERVAL_MS` (default 1000): the relay's fallback poll
    /// when no notification arrives.
    #[serde(rename = "OUTBOX_POLL_INTERVAL_MS", deserialize_with = "env::millis")]
    pub poll_interval: Duration,
    /// `KAFKA_MESSAGE_TIMEOUT_MS` (default 10000): how long a record may
    /// wait for delivery before the relay gives up on this attempt and
    /// retries later.
    #[serde(rename = "KAFKA_MESSAGE_TIMEOUT_MS", deserialize_with = "env::millis")]
    pub message_timeout: Duration,
    /// `KAFKA_FETCH_WAIT_MS`: how long the broker may hold a consumer's
    /// fetch while no records arrive (librdkafka's default, 500 ms). Kafka
    /// answers as soon as a record arrives, so this is no hop's delay.
    #[serde(rename = "KAFKA_FETCH_WAIT_MS", deserialize_with = "env::millis")]
    pub fetch_wait: Duration,
    /// `CONSUMER_MAX_ATTEMPTS` (default 5): how often the consumer tries a
    /// record that fails deterministically (a constraint violation, say)
    /// before it dead-letters it; unavailable dependencies are retried
    /// without end.
    #[serde(rename = "CONSUMER_MAX_ATTEMPTS", deserialize_with = "env::parsed")]
    pub(crate) max_attempts: u32,
    /// `CONSUMER_BATCH_SIZE` (default 100): at most this many records, of
    /// those already fetched, are applied in one transaction (1: each on
    /// its own). A batch is what has arrived, so at a trickle it is one
    /// record and adds no wait.
    #[serde(rename = "CONSUMER_BATCH_SIZE", deserialize_with = "env::parsed")]
    pub consumer_batch_size: usize,
    /// `OUTBOX_RETENTION_SECS` (default 1 day): how long published rows are
    /// kept.
    #[serde(rename = "OUTBOX_RETENTION_SECS", deserialize_with = "env::secs")]
    pub outbox_retention: Duration,
    /// `INBOX_RETENTION_SECS` (default 14 days): how long handled event ids
    /// are kept; longer than any redelivery window (the broker's retention).
    #[serde(rename = "INBOX_RETENTION_SECS", deserialize_with = "env::secs")]
    pub inbox_retention: Duration,
    /// `RETENTION_INTERVAL_SECS` (default 600): how often old rows are
    /// deleted.
    #[serde(rename = "RETENTION_INTERVAL_SECS", deserialize_with = "env::secs")]
    pub(crate) retention_interval: Duration,
    /// The service's own tables the retention sweep also cleans (none by
    /// default; a service adds its own at start-up).
    #[serde(skip)]
    pub retained: Vec<crate::retention::Retained>,
}

impl Default for MessagingConfig {
    /// The defaults, without brokers (which must be set).
    fn default() -> Self {
        Self::new("")
    }
}

impl MessagingConfig {
    /// Defaults for `brokers`.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            partitions: 3,
            replication_factor: 1,
            batch_size: 100,
            poll_interval: Duration::from_secs(1),
            message_timeout: Duration::from_secs(10),
            fetch_wait: Duration::from_millis(FETCH_WAIT_MS),
            max_attempts: MAX_ATTEMPTS,
            consumer_batch_size: CONSUMER_BATCH_SIZE,
            outbox_retention: Duration::from_secs(86_400),
            inbox_retention: Duration::from_secs(14 * 86_400),
            retention_interval: Duration::from_secs(600),
            retained: Vec::new(),
        }
    }

    /// Loads the section from the environment and checks it.
    pub fn from_env() -> anyhow::Result<Self> {
        let config: Self = env::load(&[])?;
        config.validate()?;
        Ok(config)
    }

    /// Rejects values the pipeline cannot run with, naming the variable.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.brokers.trim().is_empty(), "KAFKA_BROKERS must be set");
        anyhow::ensure!(self.partitions >= 1, "TOPIC_PARTITIONS must be at least 1");
        anyhow::ensure!(
            self.replication_factor >= 1,
            "TOPIC_REPLICATION_FACTOR must be at least 1"
        );
        anyhow::ensure!(self.batch_size >= 1, "OUTBOX_BATCH_SIZE must be at least 1");
        anyhow::ensure!(
            self.max_attempts >= 1,
            "CONSUMER_MAX_ATTEMPTS must be at least 1"
        );
        anyhow::ensure!(
            (1..=MAX_CONSUMER_BATCH_SIZE).contains(&self.consumer_batch_size),
            "CONSUMER_BATCH_SIZE must be from 1 to {MAX_CONSUMER_BATCH_SIZE}"
        );
        for (name, period) in [
            ("OUTBOX_POLL_INTERVAL_MS", self.poll_interval),
            ("KAFKA_MESSAGE_TIMEOUT_MS", self.message_timeout),
            ("RETENTION_INTERVAL_SECS", self.retention_interval),
        ] {
            anyhow::ensure!(!period.is_zero(), "{name} must be above 0");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_batch_size(size: usize) -> anyhow::Result<()> {
        MessagingConfig {
            consumer_batch_size: size,
            ..MessagingConfig::new("localhost:9092")
        }
        .validate()
    }

    #[test]
    fn a_consumer_batch_is_one_record_at_least_and_ten_thousand_at_most() {
        assert!(with_batch_size(1).is_ok());
        assert!(with_batch_size(CONSUMER_BATCH_SIZE).is_ok());
        assert!(with_batch_size(MAX_CONSUMER_BATCH_SIZE).is_ok());
        for size in [0, MAX_CONSUMER_BATCH_SIZE + 1] {
            let error = with_batch_size(size).expect_err("out of range");
            assert!(error.to_string().contains("CONSUMER_BATCH_SIZE"), "{error}");
        }
    }
}
