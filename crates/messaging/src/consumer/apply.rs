//! Applying a batch of records: together in one transaction when it can,
//! each on its own (with retries, then the dead-letter topic, each offset
//! committed once its record is handled) when that fails.

use anyhow::Context;
use orderflow_runtime::propagation;
use rdkafka::{
    Message,
    message::BorrowedMessage,
    producer::{FutureProducer, FutureRecord},
};
use sea_orm::TransactionTrait;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use uuid::Uuid;

use super::{AfterCommit, Decoded, HandleError, Handler, InboxConsumer, Outcome, receive};
use crate::{
    failure::Class,
    headers,
    inbox::{self, Inbox},
    kafka::{self, GroupConsumer},
    retry::{self, Waited},
};

/// A record and what decoding it gave: the event, or why it cannot be one.
struct Received<'r, 'c, E> {
    record: &'r BorrowedMessage<'c>,
    decoded: Result<Decoded<E>, String>,
}

impl<H: Handler> InboxConsumer<H> {
    /// Handles `records`, in the order they came: together in one
    /// transaction when there are several to apply and that commits (the
    /// undecodable ones then go to the dead-letter topic); otherwise one by
    /// one, each record's offset committed as soon as it is handled, so a
    /// long fallback (retries, a restart, a lost group membership) never
    /// makes the batch start over. `None` when shutdown came first.
    pub(super) async fn process(
        &self,
        records: &[BorrowedMessage<'_>],
        consumer: &GroupConsumer,
        dead_letters: &FutureProducer,
        shutdown: &CancellationToken,
    ) -> Option<()> {
        let received: Vec<_> = records
            .iter()
            .map(|record| Received {
                record,
                decoded: self.decode(record),
            })
            .collect();
        let applicable: Vec<_> = received
            .iter()
            .filter_map(|one| Some((one.record, one.decoded.as_ref().ok()?)))
            .collect();
        if applicable.len() > 1 {
            let spans: Vec<_> = applicable
                .iter()
                .map(|(record, decoded)| self.record_span(record, Some(decoded.event_id)))
                .collect();
            match self.apply_together(&applicable, &spans).await {
                Ok(outcomes) => {
                    for ((span, (record, _)), outcome) in
                        spans.into_iter().zip(&applicable).zip(outcomes)
                    {
                        self.finish(&span, record, outcome);
                    }
                    for one in &received {
                        if let Err(reason) = &one.decoded {
                            self.dead_letter_undecodable(
                                one.record,
                                reason,
                                dead_letters,
                                shutdown,
                            )
                            .await?;
                        }
                    }
                    return Some(());
                }
                // A database that is away failed the batch, whatever its
                // records: a failed attempt to count. An error of one
                // record's own is counted when each is tried on its own,
                // which finds that record.
                Err(error) => {
                    if matches!(error, HandleError::Unavailable(_)) {
                        crate::metrics::failed(&self.topic, Class::Unavailable);
                    }
                    for span in &spans {
                        span.record("outcome", "RolledBack");
                    }
                    tracing::info!(
                        error = format!("{error:#}"),
                        records = applicable.len(),
                        "applying the batch together failed; applying its records one by one"
                    );
                }
            }
        }
        for (index, one) in received.iter().enumerate() {
            match &one.decoded {
                Ok(decoded) => {
                    let span = self.record_span(one.record, Some(decoded.event_id));
                    let outcome = self
                        .apply(decoded, one.record, dead_letters, shutdown)
                        .instrument(span.clone())
                        .await?;
                    self.finish(&span, one.record, outcome);
                }
                Err(reason) => {
                    self.dead_letter_undecodable(one.record, reason, dead_letters, shutdown)
                        .await?;
                }
            }
            // The last one's offset the caller commits, with the batch's.
            if index + 1 < received.len() {
                receive::commit(consumer, std::slice::from_ref(one.record));
            }
        }
        Some(())
    }

    /// Sends a record that is not a valid event to the dead-letter topic, in
    /// its own span.
    async fn dead_letter_undecodable(
        &self,
        record: &BorrowedMessage<'_>,
        reason: &str,
        dead_letters: &FutureProducer,
        shutdown: &CancellationToken,
    ) -> Option<()> {
        let span = self.record_span(record, None);
        let outcome = self
            .dead_letter(record, reason, None, dead_letters, shutdown)
            .instrument(span.clone())
            .await?;
        self.finish(&span, record, outcome);
        Some(())
    }

    /// The span of one record's processing: a child of the span that sent
    /// it, so one order's trace goes on across the broker.
    fn record_span(&self, record: &BorrowedMessage<'_>, event_id: Option<Uuid>) -> tracing::Span {
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
            messaging.destination.partition.id = record.partition().to_string(),
            messaging.kafka.offset = record.offset(),
            messaging.kafka.message.key = record
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
        if let Some(event_id) = event_id {
            span.record("event_id", event_id.to_string());
            span.record("messaging.message.id", event_id.to_string());
        }
        propagation::set_parent(&span, &headers::trace_context(record.headers()));
        propagation::record_ids(&span);
        span
    }

    /// Records what became of a record, on its span and in the metrics.
    fn finish(&self, span: &tracing::Span, record: &BorrowedMessage<'_>, outcome: Outcome) {
        span.record("outcome", format!("{outcome:?}"));
        span.record("duplicate", outcome == Outcome::Duplicate);
        if outcome == Outcome::DeadLettered {
            span.record("otel.status_code", "ERROR");
        }
        tracing::debug!(parent: span, ?outcome, offset = record.offset(), "record handled");
        crate::metrics::consumed(&self.topic, outcome);
    }

    /// The event in `record`: its contract headers first (a record without
    /// them is not ours, whatever its payload), then its payload, whose id
    /// must be the one in the headers.
    fn decode(&self, record: &BorrowedMessage<'_>) -> Result<Decoded<H::Event>, String> {
        let header_id = headers::check_contract(record.headers(), H::EVENT_TYPE)
            .map_err(|error| error.to_string())?;
        let decoded = self.handler.decode(record.payload().unwrap_or_default())?;
        if decoded.event_id != header_id {
            return Err(format!(
                "the event-id header {header_id} differs from the payload's event id {}",
                decoded.event_id
            ));
        }
        Ok(decoded)
    }

    /// Applies the events of `batch` in one transaction: their ids in one
    /// inbox insert, then each fresh one through the handler (in `spans`,
    /// one per event), in order, so each sees what the ones before it did,
    /// then one commit. An id seen before, or twice in the batch, is a
    /// duplicate. Tried once: on any failure the transaction is rolled back
    /// and nothing of it counts.
    async fn apply_together(
        &self,
        batch: &[(&BorrowedMessage<'_>, &Decoded<H::Event>)],
        spans: &[tracing::Span],
    ) -> Result<Vec<Outcome>, HandleError> {
        let span = tracing::info_span!(
            "kafka.process_batch",
            otel.name = format!("process {} batch", self.topic),
            otel.kind = "consumer",
            messaging.system = "kafka",
            messaging.operation.type = "process",
            messaging.destination.name = %self.topic,
            messaging.consumer.group.name = %self.group,
            messaging.batch.message_count = batch.len(),
        );
        for record_span in spans {
            propagation::add_link(&span, record_span);
        }
        async {
            let txn = self
                .db
                .begin()
                .await
                .context("beginning the inbox transaction")?;
            let ids: Vec<_> = batch.iter().map(|(_, decoded)| decoded.event_id).collect();
            let mut fresh = inbox::record_all(&txn, &ids, &self.topic, H::EVENT_TYPE).await?;
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut after_commit = Vec::new();
            for ((_, decoded), record_span) in batch.iter().zip(spans) {
                // Taken out, so a second copy in this batch is a duplicate.
                if !fresh.remove(&decoded.event_id) {
                    outcomes.push(Outcome::Duplicate);
                    continue;
                }
                let then = self
                    .handler
                    .apply(&txn, &decoded.event)
                    .instrument(record_span.clone())
                    .await?;
                after_commit.extend(then);
                outcomes.push(Outcome::Applied);
            }
            txn.commit()
                .await
                .context("committing the inbox transaction")?;
            crate::metrics::batch_applied(&self.topic, batch.len());
            for then in after_commit {
                then();
            }
            Ok(outcomes)
        }
        .instrument(span)
        .await
    }

    /// Applies one event with its inbox record: retries an unavailable
    /// dependency until it returns, and a deterministic failure until
    /// `max_attempts` tries have failed, then dead-letters the record.
    async fn apply(
        &self,
        decoded: &Decoded<H::Event>,
        record: &BorrowedMessage<'_>,
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
                        .dead_letter(record, &reason, None, dead_letters, shutdown)
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
                            record,
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
        let after_commit: AfterCommit = self.handler.apply(&txn, &decoded.event).await?;
        txn.commit()
            .await
            .context("committing the inbox transaction")?;
        crate::metrics::batch_applied(&self.topic, 1);
        if let Some(after_commit) = after_commit {
            after_commit();
        }
        Ok(Outcome::Applied)
    }

    /// Publishes the record to `<topic>.dlq` with `reason` (and the failed
    /// `attempts`, when it was tried), retrying until the broker confirms it.
    async fn dead_letter(
        &self,
        record: &BorrowedMessage<'_>,
        reason: &str,
        attempts: Option<u32>,
        producer: &FutureProducer,
        shutdown: &CancellationToken,
    ) -> Option<Outcome> {
        tracing::warn!(
            reason,
            ?attempts,
            offset = record.offset(),
            "dead-lettering a record"
        );
        let topic = kafka::dead_letter_topic(&self.topic);
        let source = format!(
            "{}/{}/{}",
            record.topic(),
            record.partition(),
            record.offset()
        );
        let attempts = attempts.map(|attempts| attempts.to_string());
        let mut delays = retry::delays();
        loop {
            let mut headers = headers::copy(record.headers())
                .insert(headers::header(headers::DLQ_ERROR, reason))
                .insert(headers::header(headers::DLQ_SOURCE, &source));
            if let Some(attempts) = &attempts {
                headers = headers.insert(headers::header(headers::DLQ_ATTEMPTS, attempts));
            }
            let mut dead = FutureRecord::to(&topic)
                .payload(record.payload().unwrap_or_default())
                .headers(headers);
            if let Some(key) = record.key() {
                dead = dead.key(key);
            }
            match producer.send(dead, self.config.message_timeout).await {
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
