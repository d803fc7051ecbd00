//! The outbox relay: publishes outbox rows to Kafka, in id order, and marks
//! them published, committing the marks after the broker's delivery report.
//!
//! Each batch is claimed and marked with one `UPDATE` whose rows come from
//! `SELECT … FOR UPDATE SKIP LOCKED`, in a real transaction that commits
//! after the delivery reports, so several relays can run against one outbox
//! without publishing a row twice: a row locked by one is skipped by the
//! others. With one relay, one user's events reach their partition in commit
//! order. With several, two relays may publish neighbouring batches at the
//! same time, so one user's events can reach Kafka out of order; consumers
//! here do not rely on cross-event order (each event is applied on its own,
//! guarded by state).
//!
//! It wakes on the `outbox` notification that an insert fires (LISTEN/NOTIFY)
//! and polls as a fallback. While the broker is down it backs off and retries;
//! rows stay unpublished until a delivery report confirms them.

use std::time::Duration;

use anyhow::Context;
use futures::future::join_all;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement,
    TransactionTrait, sea_query::Expr,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use orderflow_runtime::propagation;
use rdkafka::{error::KafkaError, producer::future_producer::Delivery as Report};
use tracing::Instrument;

use crate::{MessagingConfig, headers, kafka, notifications, outbox, retry};

/// What one relay pass did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// This many rows were published and marked.
    Published(usize),
    /// Nothing was waiting.
    Empty,
}

/// Publishes one service's outbox.
pub struct Relay {
    db: DatabaseConnection,
    config: MessagingConfig,
    producer: FutureProducer,
}

impl Relay {
    pub fn new(db: DatabaseConnection, config: MessagingConfig) -> anyhow::Result<Self> {
        let producer = kafka::producer(&config)?;
        Ok(Self {
            db,
            config,
            producer,
        })
    }

    /// Claims up to one batch of unpublished rows and marks them published
    /// in one statement, publishes them, and commits once the broker has
    /// confirmed them: a row whose delivery failed is unmarked first (and the
    /// pass is an error). Until that commit, the rows are locked and other
    /// relays skip them; a crash before it rolls the marks back.
    pub async fn publish_batch(&self) -> anyhow::Result<Delivery> {
        let txn = self
            .db
            .begin()
            .await
            .context("beginning the relay transaction")?;
        let claim = Statement::from_sql_and_values(
            DbBackend::Postgres,
            CLAIM,
            [self.config.batch_size.into()],
        );
        let mut rows = outbox::Entity::find()
            .from_raw_sql(claim)
            .all(&txn)
            .await
            .context("claiming outbox rows")?;
        if rows.is_empty() {
            return Ok(Delivery::Empty);
        }
        // RETURNING keeps no order; the rows go out in id (commit) order.
        rows.sort_unstable_by_key(|row| row.id);
        let deliveries = rows.iter().map(|row| {
            let span = publish_span(row);
            let event_id = row.event_id.to_string();
            let record = FutureRecord::to(&row.topic)
                .key(&row.message_key)
                .payload(&row.payload)
                .headers(headers::for_event(
                    &event_id,
                    &row.event_type,
                    &propagation::context_of(&span),
                ));
            let send = self.producer.send(record, self.config.message_timeout);
            async move {
                let report = send.await.map_err(|(error, _)| error);
                record_delivery(&report);
                if report.is_ok() {
                    crate::metrics::published(&row.topic, row.created_at);
                }
                report
            }
            .instrument(span)
        });
        let reports = join_all(deliveries).await;
        orderflow_runtime::crash::hit("relay.after_send")?; // sent, the marks not yet committed
        let mut undelivered = Vec::new();
        let mut first_error = None;
        for (row, report) in rows.iter().zip(reports) {
            if let Err(error) = report {
                undelivered.push(row.id);
                first_error.get_or_insert(error);
            }
        }
        if !undelivered.is_empty() {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::PublishedAt, Expr::cust("NULL"))
                .filter(outbox::Column::Id.is_in(undelivered.iter().copied()))
                .exec(&txn)
                .await
                .context("unmarking undelivered outbox rows")?;
        }
        txn.commit()
            .await
            .context("committing the relay transaction")?;
        match first_error {
            None => Ok(Delivery::Published(rows.len())),
            Some(error) => Err(anyhow::Error::new(error).context(format!(
                "{} of {} outbox rows were not delivered",
                undelivered.len(),
                rows.len()
            ))),
        }
    }

    /// Publishes until `shutdown`, then flushes the producer.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        let wake = std::sync::Arc::new(Notify::new());
        let listener = tokio::spawn({
            // A (re)connection wakes the relay too: a row committed while
            // nobody listened sent its notification to nobody.
            let (on_connect, on_notify) = (wake.clone(), wake.clone());
            notifications::listen(
                self.db.clone(),
                "outbox",
                shutdown.clone(),
                move || on_connect.notify_one(),
                move |_| on_notify.notify_one(),
            )
        });
        let mut delays = retry::delays();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let wait = match self.publish_batch().await {
                Ok(Delivery::Published(count)) => {
                    delays = retry::delays();
                    tracing::debug!(count, "published outbox rows");
                    if full(count, self.config.batch_size) {
                        // More may be waiting behind a full batch.
                        continue;
                    }
                    // A short batch took every row there was that no other
                    // relay holds; a row committed since has notified, and
                    // that wakes the wait below at once, so there is no empty
                    // pass to make. Rows another relay held and let go are
                    // that relay's to retry, or found at the next poll.
                    self.config.poll_interval
                }
                Ok(Delivery::Empty) => {
                    delays = retry::delays();
                    self.config.poll_interval
                }
                Err(error) => {
                    self.replace_producer_after_fatal_error();
                    let wait = retry::next(&mut delays);
                    tracing::warn!(error = format!("{error:#}"), retry_in = ?wait, "outbox relay pass failed");
                    wait
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
        listener.abort();
        kafka::close_producer(self.producer, Duration::from_secs(5)).await;
    }
}

impl Relay {
    /// An idempotent producer can hit a fatal error (e.g. after records timed
    /// out mid-flight); it is unusable afterwards, so start a new one.
    fn replace_producer_after_fatal_error(&mut self) {
        if let Some((code, reason)) = self.producer.client().fatal_error() {
            tracing::warn!(?code, %reason, "producer hit a fatal error; replacing it");
            match kafka::producer(&self.config) {
                Ok(producer) => {
                    kafka::discard_producer(std::mem::replace(&mut self.producer, producer));
                }
                Err(error) => tracing::warn!(
                    error = format!("{error:#}"),
                    "replacing the producer failed"
                ),
            }
        }
    }
}

/// Locks up to `$1` unpublished rows, oldest first, skipping those another
/// relay holds, and marks them published, returning them: one round trip
/// where a `SELECT … FOR UPDATE` and an `UPDATE` took two. The array makes
/// the subquery run once, before the update.
const CLAIM: &str = "UPDATE outbox SET published_at = CURRENT_TIMESTAMP \
     WHERE id = ANY (ARRAY (SELECT id FROM outbox WHERE published_at IS NULL \
                            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)) \
     RETURNING id, event_id, topic, message_key, event_type, payload, trace_context, \
               created_at, published_at";

/// Whether a pass that published `count` rows claimed a whole batch of
/// `batch_size`, so that more rows may be waiting behind it.
fn full(count: usize, batch_size: u64) -> bool {
    u64::try_from(count).is_ok_and(|count| count >= batch_size)
}

/// The producer span of one row: a child of the context the row was written
/// under, so the trace goes on across the broker.
fn publish_span(row: &outbox::Model) -> tracing::Span {
    let span = tracing::info_span!(
        "kafka.send",
        otel.name = format!("send {}", row.topic),
        otel.kind = "producer",
        otel.status_code = tracing::field::Empty,
        messaging.system = "kafka",
        messaging.operation.type = "send",
        messaging.operation.name = "send",
        messaging.destination.name = %row.topic,
        messaging.kafka.message.key = %row.message_key,
        messaging.message.id = %row.event_id,
        messaging.destination.partition.id = tracing::field::Empty,
        messaging.kafka.offset = tracing::field::Empty,
        event_type = %row.event_type,
    );
    propagation::set_parent(&span, &row.trace());
    span
}

/// Records where the broker put the record, or that it did not.
fn record_delivery(report: &Result<Report, KafkaError>) {
    let span = tracing::Span::current();
    match report {
        Ok(delivered) => {
            span.record(
                "messaging.destination.partition.id",
                delivered.partition.to_string(),
            );
            span.record("messaging.kafka.offset", delivered.offset);
        }
        Err(error) => {
            span.record("otel.status_code", "ERROR");
            tracing::warn!(%error, "the broker did not confirm the record");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::full;

    #[test]
    fn only_a_whole_batch_sends_the_relay_straight_back_for_more() {
        assert!(full(100, 100));
        assert!(!full(99, 100));
        assert!(!full(1, 100));
        assert!(full(1, 1));
    }
}
