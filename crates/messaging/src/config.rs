//! Messaging settings shared by both services, read from the environment.

use std::time::Duration;

use orderflow_runtime::env;

orderflow_runtime::env_names! {
    /// Every variable [`ServiceConfig::from_env`] (with
    /// [`MessagingConfig::from_env`]) reads; the loaders read only these.
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
        GRPC_LISTEN_ADDR,
        METRICS_LISTEN_ADDR,
        DATABASE_URL,
        DATABASE_MAX_CONNECTIONS,
        PAYMENT_REQUESTED_TOPIC,
        PAYMENT_RESULT_TOPIC,
        CONSUMER_GROUP,
        CRASH_POINTS,
        IDEMPOTENCY_RETENTION_SECS,
        HEALTH_CHECK_INTERVAL_MS,
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

/// What each service (orders, payments) is configured with: its gRPC
/// address, its database, Kafka, the two topics of the payment flow, its
/// consumer group and, for tests, crash points.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// `GRPC_LISTEN_ADDR` (port 0 in tests).
    pub grpc_addr: std::net::SocketAddr,
    /// `METRICS_LISTEN_ADDR`: where `GET /metrics` answers (port 0 in tests).
    pub metrics_addr: std::net::SocketAddr,
    /// `DATABASE_URL`: the service's own database.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (default 10).
    pub database_max_connections: u32,
    /// Kafka, relay and retention settings.
    pub messaging: MessagingConfig,
    /// `PAYMENT_REQUESTED_TOPIC` (default `payments.requested`): orders
    /// publishes payment requests there, payments consumes them.
    pub payment_requested_topic: String,
    /// `PAYMENT_RESULT_TOPIC` (default `payments.results`): payments
    /// publishes results there, orders consumes them.
    pub payment_result_topic: String,
    /// `CONSUMER_GROUP`.
    pub consumer_group: String,
    /// `CRASH_POINTS`: fault injection for tests; empty in production.
    pub crash_points: orderflow_runtime::crash::CrashPoints,
    /// `IDEMPOTENCY_RETENTION_SECS` (default 1 day): how long idempotency
    /// keys and their answers are kept; a key used again later is new.
    pub idempotency_retention: Duration,
    /// `HEALTH_CHECK_INTERVAL_MS` (default 2000): how often the database
    /// and the broker are asked whether they answer.
    pub health_interval: Duration,
}

impl ServiceConfig {
    /// Reads the environment; `port`, `metrics_port` and `group` are the
    /// service's defaults.
    pub fn from_env(port: u16, metrics_port: u16, group: &str) -> anyhow::Result<Self> {
        Ok(Self {
            grpc_addr: env::or(
                vars::GRPC_LISTEN_ADDR,
                std::net::SocketAddr::from(([0, 0, 0, 0], port)),
            )?,
            metrics_addr: env::or(
                vars::METRICS_LISTEN_ADDR,
                std::net::SocketAddr::from(([0, 0, 0, 0], metrics_port)),
            )?,
            database_url: env::required(vars::DATABASE_URL)?,
            database_max_connections: env::or(vars::DATABASE_MAX_CONNECTIONS, 10)?,
            messaging: MessagingConfig::from_env()?,
            payment_requested_topic: env::string_or(
                vars::PAYMENT_REQUESTED_TOPIC,
                "payments.requested",
            ),
            payment_result_topic: env::string_or(vars::PAYMENT_RESULT_TOPIC, "payments.results"),
            consumer_group: env::string_or(vars::CONSUMER_GROUP, group),
            crash_points: orderflow_runtime::crash::CrashPoints::parse(&env::string_or(
                vars::CRASH_POINTS,
                "",
            ))?,
            idempotency_retention: env::secs_or(
                vars::IDEMPOTENCY_RETENTION_SECS,
                Duration::from_secs(86_400),
            )?,
            health_interval: env::millis_or(
                vars::HEALTH_CHECK_INTERVAL_MS,
                Duration::from_secs(2),
            )?,
        })
    }
}
