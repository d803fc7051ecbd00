//! Kafka clients configured the one way this project uses them.

use std::time::Duration;

use anyhow::Context;
use rdkafka::{
    ClientConfig,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::{ClientContext, DefaultClientContext},
    consumer::{ConsumerContext, StreamConsumer},
    producer::{FutureProducer, Producer},
    statistics::Statistics,
    types::RDKafkaErrorCode,
};

use crate::{MessagingConfig, metrics};

/// An idempotent producer (`acks=all`): a retried send is written once, and
/// records of one key keep their order.
pub fn producer(config: &MessagingConfig) -> anyhow::Result<FutureProducer> {
    ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "1")
        .set(
            "message.timeout.ms",
            config.message_timeout.as_millis().to_string(),
        )
        .create()
        .context("creating the Kafka producer")
}

/// The consumers' client context: from librdkafka's statistics (every
/// `STATISTICS_INTERVAL_MS`) it records each assigned partition's lag.
pub(crate) struct LagReporting;

/// How often librdkafka reports its statistics, the consumer lag among them.
const STATISTICS_INTERVAL_MS: &str = "2000";

impl ClientContext for LagReporting {
    fn stats(&self, statistics: Statistics) {
        for (name, topic) in &statistics.topics {
            for (id, partition) in &topic.partitions {
                // -1 is librdkafka's "unassigned" partition, and a lag of -1
                // means unknown (not assigned to this consumer, or no offset).
                if *id >= 0 && partition.consumer_lag >= 0 {
                    metrics::consumer_lag(name, *id, partition.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for LagReporting {}

/// The consumer this project uses.
pub(crate) type GroupConsumer = StreamConsumer<LagReporting>;

/// `max.poll.interval.ms`: how long the consumer may go without asking for
/// the next record before librdkafka leaves the group and its partitions go
/// to another member.
///
/// The consumer does not ask while it retries a record, and it retries an
/// unavailable database without end. During an outage every replica is
/// stuck alike, so handing partitions around buys nothing and only churns
/// the group; 10 minutes (librdkafka's default is 5) lets a database
/// restart or failover pass without a rebalance. A deterministic failure is
/// bounded (`CONSUMER_MAX_ATTEMPTS` tries with backoff per record); a batch
/// that falls back to one record at a time stores each record's offset as
/// it goes, for the next periodic commit, so even a batch of such failures
/// outlasting the interval loses no progress. Past it (a member truly
/// stuck), the partitions move on: the stuck member's offset commits then
/// fail, what it had not committed is delivered again to the new owner and
/// the inbox absorbs the repeat, and its next receive rejoins the group.
const MAX_POLL_INTERVAL_MS: &str = "600000";

/// `auto.commit.interval.ms`: how often librdkafka commits the offsets the
/// consumer has stored (those of records whose transactions committed).
///
/// Committing after every batch cost a request to the broker and an append
/// to `__consumer_offsets` per batch, which at a few hundred orders per
/// second was a good part of Kafka's CPU; the inbox already makes a
/// redelivered record harmless, so committing what is stored once a second
/// costs only that, after a crash, up to a second of records is delivered
/// again. Stored offsets are also committed when partitions are revoked
/// (a rebalance) and when the consumer closes.
const COMMIT_INTERVAL_MS: &str = "1000";

/// A consumer in `group` that starts at the earliest offset when the group
/// has none. It commits only the offsets stored with
/// `Consumer::store_offsets`, every [`COMMIT_INTERVAL_MS`], never its
/// position (which may be ahead of what was applied).
pub(crate) fn consumer(config: &MessagingConfig, group: &str) -> anyhow::Result<GroupConsumer> {
    ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", COMMIT_INTERVAL_MS)
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("max.poll.interval.ms", MAX_POLL_INTERVAL_MS)
        .set("statistics.interval.ms", STATISTICS_INTERVAL_MS)
        .set(
            "fetch.wait.max.ms",
            config.fetch_wait.as_millis().to_string(),
        )
        .create_with_context(LagReporting)
        .context("creating the Kafka consumer")
}

/// Flushes `producer` for up to `flush` and drops it, on a blocking thread:
/// both block (dropping one purges what is queued, flushes for up to 500 ms,
/// joins its polling thread and destroys the client), which must not happen
/// on an async worker.
pub async fn close_producer(producer: FutureProducer, flush: Duration) {
    let closed = tokio::task::spawn_blocking(move || {
        let flushed = producer.flush(flush);
        drop(producer);
        flushed
    });
    match closed.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "flushing the producer failed"),
        Err(error) => tracing::warn!(%error, "closing the producer failed"),
    }
}

/// Drops an unusable `producer` (after a fatal error) on a blocking thread,
/// without waiting for it.
pub(crate) fn discard_producer(producer: FutureProducer) {
    drop(tokio::task::spawn_blocking(move || drop(producer)));
}

/// Creates each topic (and its `.dlq`) that does not exist yet, with the
/// configured partitions and replication factor.
pub async fn ensure_topics(config: &MessagingConfig, topics: &[&str]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create()
        .context("creating the Kafka admin client")?;
    let names: Vec<String> = topics
        .iter()
        .flat_map(|topic| [(*topic).to_owned(), dead_letter_topic(topic)])
        .collect();
    let new_topics: Vec<NewTopic> = names
        .iter()
        .map(|name| {
            NewTopic::new(
                name,
                config.partitions,
                TopicReplication::Fixed(config.replication_factor),
            )
        })
        .collect();
    let options = AdminOptions::new()
        .request_timeout(Some(Duration::from_secs(10)))
        .operation_timeout(Some(Duration::from_secs(10)));
    let results = admin.create_topics(&new_topics, &options).await;
    // Dropping an admin client destroys it (joins its threads), which blocks.
    drop(tokio::task::spawn_blocking(move || drop(admin)));
    for result in results.context("creating topics")? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => anyhow::bail!("creating topic {topic}: {code}"),
        }
    }
    Ok(())
}

/// Where records of `topic` that cannot be handled go.
pub(crate) fn dead_letter_topic(topic: &str) -> String {
    format!("{topic}.dlq")
}
