//! The inbox consumer: applies each event in one database transaction that
//! also records its id in the inbox, and commits the Kafka offset only after
//! that transaction commits.
//!
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

use std::time::Duration;

use anyhow::Context;
use orderflow_runtime::propagation;
use rdkafka::{
    Message,
    consumer::{CommitMode, Consumer},
    error::KafkaError,
    message::BorrowedMessage,
    producer::{FutureProducer, FutureRecord},
    types::RDKafkaErrorCode,
};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::{
    MessagingConfig,
    failure::{self, Class},
    headers,
    inbox::{self, Inbox},
    kafka,
    retry::{self, Waited},
};

/// Why an event was not applied, by what the consumer does about it.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The event is wrong and always will be: it goes to the dead-letter
    /// topic at once.
    #[error("invalid event: {0}")]
    Invalid(String),
    /// A dependency is unavailable: roll back and retry without end.
    #[error(transparent)]
    Unavailable(anyhow::Error),
    /// Applying it failed in a way that will likely fail again: roll back,
    /// retry a few times, then dead-letter it.
    #[error(transparent)]
    Deterministic(anyhow::Error),
}

impl HandleError {
    /// An error whose class [`failure::classify`] decides from its causes.
    pub(crate) fn classified(error: anyhow::Error) -> Self {
        match failure::classify(&error) {
            Class::Unavailable => Self::Unavailable(error),
            Class::Deterministic => Self::Deterministic(error),
        }
    }
}

/// Every error a handler propagates with `?` carries its class.
impl From<anyhow::Error> for HandleError {
    fn from(error: anyhow::Error) -> Self {
        Self::classified(error)
    }
}

impl From<orderflow_runtime::crash::Crash> for HandleError {
    fn from(crash: orderflow_runtime::crash::Crash) -> Self {
        Self::Unavailable(crash.into())
    }
}

/// A decoded event and its id.
pub struct Decoded<E> {
    pub event_id: Uuid,
    pub event: E,
}

/// What a service does with one kind of event.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// The decoded, validated event.
    type Event: Send + Sync;

    /// The protobuf message's full name, as in the `event-type` header.
    const EVENT_TYPE: &'static str;

    /// Decodes and validates a payload; the error text goes to the
    /// dead-letter header.
    fn decode(&self, payload: &[u8]) -> Result<Decoded<Self::Event>, String>;

    /// Applies the event inside `txn`, where its inbox record already is;
    /// returns what is left to do once that transaction has committed.
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        event: &Self::Event,
    ) -> Result<AfterCommit, HandleError>;
}

/// What applying an event leaves to do once its transaction has committed
/// (a metric, say): done only then, so a rolled-back attempt that is retried
/// or redelivered does not count twice.
pub type AfterCommit = Option<Box<dyn FnOnce() + Send>>;

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
    /// Runs until `shutdown`; a record being retried when it comes is left
    /// uncommitted, to be delivered again after a restart.
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
                received = consumer.recv() => received,
            };
            let message = match received {
                Ok(message) => message,
                Err(error) => {
                    tracing::warn!(%error, topic = %self.topic, "receiving failed");
                    start_a_new_session = matches!(
                        error,
                        KafkaError::MessageConsumption(RDKafkaErrorCode::AllBrokersDown)
                    );
                    match retry::sleep(retry::next(&mut delays), &shutdown).await {
                        Waited::ShutDown => break,
                        Waited::Elapsed => continue,
                    }
                }
            };
            delays = retry::delays();
            let Some(outcome) = self.process(&message, &dead_letters, &shutdown).await else {
                break;
            };
            tracing::debug!(?outcome, offset = message.offset(), "record handled");
            crate::metrics::consumed(&self.topic, outcome);
            orderflow_runtime::crash::hit("consumer.after_commit")?; // committed, offset not yet
            if let Err(error) = consumer.commit_message(&message, CommitMode::Async) {
                tracing::warn!(%error, "committing the offset failed; the record may be redelivered");
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

    /// Handles one record; `None` when shutdown came first.
    async fn process(
        &self,
        message: &BorrowedMessage<'_>,
        dead_letters: &FutureProducer,
        shutdown: &CancellationToken,
    ) -> Option<Outcome> {
        let span = tracing::info_span!(
            "kafka.process",
            otel.name = format!("process {}", self.topic),
            otel.kind = "consumer",
            otel.status_code = tracing::field::Empty,
            messaging.system = "kafka",
            messaging.operation.type = "process",
            messaging.operation.name = "process",
            messaging.destination.name = %self.topic,
            messaging.consumer.group.name = %self.group,
            messaging.destination.partition.id = message.partition().to_string(),
            messaging.kafka.offset = message.offset(),
            messaging.kafka.message.key = message
                .key()
                .and_then(|key| std::str::from_utf8(key).ok())
                .unwrap_or_default(),
            messaging.message.id = tracing::field::Empty,
            event_type = H::EVENT_TYPE,
            event_id = tracing::field::Empty,
            outcome = tracing::field::Empty,
            duplicate = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            correlation_id = tracing::field::Empty,
        );
        propagation::set_parent(&span, &headers::trace_context(message.headers()));
        propagation::record_ids(&span);
        async {
            let outcome = match self.decode(message) {
                Err(reason) => {
                    self.dead_letter(message, &reason, None, dead_letters, shutdown)
                        .await
                }
                Ok(decoded) => {
                    let span = tracing::Span::current();
                    span.record("event_id", decoded.event_id.to_string());
                    span.record("messaging.message.id", decoded.event_id.to_string());
                    self.apply(&decoded, message, dead_letters, shutdown).await
                }
            };
            if let Some(outcome) = outcome {
                let span = tracing::Span::current();
                span.record("outcome", format!("{outcome:?}"));
                span.record("duplicate", outcome == Outcome::Duplicate);
                if outcome == Outcome::DeadLettered {
                    span.record("otel.status_code", "ERROR");
                }
            }
            outcome
        }
        .instrument(span)
        .await
    }

    /// The event in `message`: its contract headers first (a record without
    /// them is not ours, whatever its payload), then its payload, whose id
    /// must be the one in the headers.
    fn decode(&self, message: &BorrowedMessage<'_>) -> Result<Decoded<H::Event>, String> {
        let header_id = headers::check_contract(message.headers(), H::EVENT_TYPE)
            .map_err(|error| error.to_string())?;
        let decoded = self.handler.decode(message.payload().unwrap_or_default())?;
        if decoded.event_id != header_id {
            return Err(format!(
                "the event-id header {header_id} differs from the payload's event id {}",
                decoded.event_id
            ));
        }
        Ok(decoded)
    }

    /// Applies the event with its inbox record: retries an unavailable
    /// dependency until it returns, and a deterministic failure until
    /// `max_attempts` tries have failed, then dead-letters the record.
    async fn apply(
        &self,
        decoded: &Decoded<H::Event>,
        message: &BorrowedMessage<'_>,
        dead_letters: &FutureProducer,
        shutdown: &CancellationToken,
    ) -> Option<Outcome> {
        let mut delays = retry::delays();
        let max_attempts = self.config.max_attempts.max(1);
        let mut failed_attempts = 0;
        loop {
            let (error, class) = match self.apply_once(decoded).await {
                Ok(outcome) => return Some(outcome),
                Err(HandleError::Invalid(reason)) => {
                    return self
                        .dead_letter(message, &reason, None, dead_letters, shutdown)
                        .await;
                }
                Err(HandleError::Unavailable(error)) => (error, Class::Unavailable),
                Err(HandleError::Deterministic(error)) => (error, Class::Deterministic),
            };
            crate::metrics::failed(&self.topic, class);
            if class == Class::Deterministic {
                failed_attempts += 1;
                if failed_attempts >= max_attempts {
                    let reason = format!("{error:#}");
                    return self
                        .dead_letter(
                            message,
                            &reason,
                            Some(failed_attempts),
                            dead_letters,
                            shutdown,
                        )
                        .await;
                }
            }
            let wait = retry::next(&mut delays);
            tracing::warn!(
                error = format!("{error:#}"),
                ?class,
                failed_attempts,
                retry_in = ?wait,
                "applying the event failed"
            );
            if retry::sleep(wait, shutdown).await == Waited::ShutDown {
                return None;
            }
        }
    }

    async fn apply_once(&self, decoded: &Decoded<H::Event>) -> Result<Outcome, HandleError> {
        let txn = self
            .db
            .begin()
            .await
            .context("beginning the inbox transaction")?;
        match inbox::record(&txn, decoded.event_id, &self.topic, H::EVENT_TYPE).await? {
            Inbox::Duplicate => return Ok(Outcome::Duplicate),
            Inbox::Fresh => {}
        }
        let after_commit = self.handler.apply(&txn, &decoded.event).await?;
        txn.commit()
            .await
            .context("committing the inbox transaction")?;
        if let Some(after_commit) = after_commit {
            after_commit();
        }
        Ok(Outcome::Applied)
    }

    /// Publishes the record to `<topic>.dlq` with `reason` (and the failed
    /// `attempts`, when it was tried), retrying until the broker confirms it.
    async fn dead_letter(
        &self,
        message: &BorrowedMessage<'_>,
        reason: &str,
        attempts: Option<u32>,
        producer: &FutureProducer,
        shutdown: &CancellationToken,
    ) -> Option<Outcome> {
        tracing::warn!(
            reason,
            ?attempts,
            offset = message.offset(),
            "dead-lettering a record"
        );
        let topic = kafka::dead_letter_topic(&self.topic);
        let source = format!(
            "{}/{}/{}",
            message.topic(),
            message.partition(),
            message.offset()
        );
        let attempts = attempts.map(|attempts| attempts.to_string());
        let mut delays = retry::delays();
        loop {
            let mut headers = headers::copy(message.headers())
                .insert(headers::header(headers::DLQ_ERROR, reason))
                .insert(headers::header(headers::DLQ_SOURCE, &source));
            if let Some(attempts) = &attempts {
                headers = headers.insert(headers::header(headers::DLQ_ATTEMPTS, attempts));
            }
            let mut record = FutureRecord::to(&topic)
                .payload(message.payload().unwrap_or_default())
                .headers(headers);
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            match producer.send(record, self.config.message_timeout).await {
                Ok(_) => return Some(Outcome::DeadLettered),
                Err((error, _)) => {
                    let wait = retry::next(&mut delays);
                    tracing::warn!(%error, retry_in = ?wait, "dead-lettering failed");
                    if retry::sleep(wait, shutdown).await == Waited::ShutDown {
                        return None;
                    }
                }
            }
        }
    }
}

/// Leaves the group and drops the consumer on a blocking thread with a
/// deadline (librdkafka's destroy can hang after a group session). Offsets
/// were committed record by record; the consumer's position is never
/// committed, since it may be ahead of what was applied.
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
