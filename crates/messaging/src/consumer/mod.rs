//! The inbox consumer: applies events in database transactions that also
//! record their ids in the inbox, and commits the Kafka offsets only after
//! those transactions commit (it stores them, and librdkafka commits what
//! is stored once a second, on a rebalance and on close; see
//! `kafka::COMMIT_INTERVAL_MS`).
//!
//! - The next record and those already fetched behind it (up to
//!   [`MessagingConfig::consumer_batch_size`]) are applied together: one
//!   transaction, one multi-row inbox insert, one commit, then their offsets
//!   (see [`apply`]). When that transaction fails, it is rolled back and the
//!   records are applied one by one, in order, with the rules below, each
//!   offset committed once its record is handled: a bad record is retried
//!   or dead-lettered on its own, and the others are applied without it.
//! - A redelivered event finds its id in the inbox and changes nothing.
//! - A record without the contract headers (see [`headers::check_contract`]),
//!   or whose payload cannot be decoded or is invalid, goes to `<topic>.dlq`
//!   with the reason in a header, and the consumer moves on.
//! - A failure rolls the transaction back and is classified (see
//!   [`failure`]): an unavailable dependency (the database down, a lost
//!   connection, a serialization failure, a crash point) is retried with
//!   backoff without end, never skipped; a deterministic one (a constraint
//!   violation, a value the database rejects) gets
//!   [`MessagingConfig::max_attempts`] tries, and then the record goes to
//!   `<topic>.dlq` with the last error and the attempts in its headers, and
//!   the consumer moves on.
//!
//! [`failure`]: crate::failure
//! [`headers::check_contract`]: crate::headers::check_contract

mod apply;
mod handler;
mod receive;

use std::time::Duration;

use anyhow::Context;
use rdkafka::{consumer::Consumer, error::KafkaError, types::RDKafkaErrorCode};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

pub use handler::{AfterCommit, Decoded, HandleError, Handler};

use crate::{
    MessagingConfig, kafka,
    retry::{self, Waited},
};

/// What happened to one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Applied,
    Duplicate,
    DeadLettered,
}

/// Consumes `topic` in `group` with `handler` until `shutdown`.
pub(crate) struct InboxConsumer<H> {
    pub db: DatabaseConnection,
    pub config: MessagingConfig,
    pub topic: String,
    pub(crate) group: String,
    pub(crate) handler: H,
}

impl<H: Handler> InboxConsumer<H> {
    /// Runs until `shutdown`; a batch being applied when it comes is left
    /// uncommitted, to be delivered again after a restart (the inbox absorbs
    /// what of it was applied).
    pub(crate) async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut consumer = self.subscribe()?;
        let dead_letters = kafka::producer(&self.config)?;
        let mut delays = retry::delays();
        let mut start_a_new_session = false;
        loop {
            if start_a_new_session {
                // Every broker was lost: when it returns (restarted, with new
                // leader epochs), librdkafka can leave a partition waiting on
                // its offset validation for good. A new session starts from
                // the committed offsets instead; the inbox absorbs a repeat.
                close(consumer).await;
                consumer = match self.subscribe() {
                    Ok(consumer) => consumer,
                    Err(error) => {
                        kafka::close_producer(dead_letters, Duration::ZERO).await;
                        return Err(error);
                    }
                };
                start_a_new_session = false;
            }
            let received = tokio::select! {
                () = shutdown.cancelled() => break,
                received = receive::batch(&consumer, self.config.consumer_batch_size) => received,
            };
            if !received.records.is_empty() {
                delays = retry::delays();
                let applied = self
                    .process(&received.records, &consumer, &dead_letters, &shutdown)
                    .await;
                if applied.is_none() {
                    break;
                }
                // committed, offsets not yet
                orderflow_runtime::crash::hit("consumer.after_commit")?;
                receive::commit(&consumer, &received.records);
            }
            if let Some(error) = received.error {
                tracing::warn!(%error, topic = %self.topic, "receiving failed");
                start_a_new_session = matches!(
                    error,
                    KafkaError::MessageConsumption(RDKafkaErrorCode::AllBrokersDown)
                );
                if received.records.is_empty()
                    && retry::sleep(retry::next(&mut delays), &shutdown).await == Waited::ShutDown
                {
                    break;
                }
            }
        }
        close(consumer).await;
        // Every dead letter was confirmed before its offset was committed.
        kafka::close_producer(dead_letters, Duration::ZERO).await;
        Ok(())
    }

    fn subscribe(&self) -> anyhow::Result<kafka::GroupConsumer> {
        let consumer = kafka::consumer(&self.config, &self.group)?;
        consumer
            .subscribe(&[&self.topic])
            .with_context(|| format!("subscribing to {}", self.topic))?;
        Ok(consumer)
    }
}

/// Leaves the group and drops the consumer on a blocking thread with a
/// deadline (librdkafka's destroy can hang after a group session). Leaving
/// commits the offsets stored so far (those of applied records); the
/// consumer's position is never committed, since it may be ahead of what
/// was applied.
async fn close(consumer: kafka::GroupConsumer) {
    consumer.unsubscribe();
    let dropped = tokio::task::spawn_blocking(move || drop(consumer));
    if tokio::time::timeout(Duration::from_secs(10), dropped)
        .await
        .is_err()
    {
        tracing::warn!("closing the Kafka consumer timed out");
    }
}
