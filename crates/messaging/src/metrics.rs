//! The messaging pipeline's metrics: the outbox backlog and the age of its
//! oldest row (sampled), publish latency (row written to delivery report),
//! and what the consumer did with each record (and each failed attempt),
//! per topic.

use std::{sync::OnceLock, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use opentelemetry::{
    KeyValue,
    metrics::{Counter, Gauge, Histogram},
};
use orderflow_runtime::metrics::{meter, seconds_histogram};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use tokio_util::sync::CancellationToken;

use crate::{consumer::Outcome, failure::Class, outbox};

/// How often the backlog is sampled.
pub(crate) const BACKLOG_SAMPLE_INTERVAL: Duration = Duration::from_secs(2);

struct Instruments {
    backlog: Gauge<u64>,
    oldest_age: Gauge<f64>,
    publish_latency: Histogram<f64>,
    consumed: Counter<u64>,
    duplicates: Counter<u64>,
    dead_lettered: Counter<u64>,
    failed_attempts: Counter<u64>,
    batch_size: Histogram<u64>,
    consumer_lag: Gauge<i64>,
}

fn instruments() -> &'static Instruments {
    static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
    INSTRUMENTS.get_or_init(|| {
        let meter = meter();
        Instruments {
            backlog: meter
                .u64_gauge("outbox.backlog")
                .with_description("Outbox rows not yet published (sampled)")
                .build(),
            oldest_age: meter
                .f64_gauge("outbox.oldest.age")
                .with_unit("s")
                .with_description("Age of the oldest unpublished outbox row; 0 when none (sampled)")
                .build(),
            publish_latency: seconds_histogram(
                "outbox.publish.latency",
                "From an outbox row's creation to the broker's delivery report",
            ),
            consumed: meter
                .u64_counter("messaging.consumed")
                .with_description(
                    "Records the consumer took and handled (applied, duplicate or dead-lettered)",
                )
                .build(),
            duplicates: meter
                .u64_counter("messaging.duplicates")
                .with_description("Records skipped because the inbox had their event id")
                .build(),
            dead_lettered: meter
                .u64_counter("messaging.dead_lettered")
                .with_description("Records sent to the dead-letter topic")
                .build(),
            failed_attempts: meter
                .u64_counter("messaging.failed_attempts")
                .with_description(
                    "Attempts to apply a record (or a batch, when the database was away) \
                     that failed and were rolled back, by class (unavailable: retried without \
                     end; deterministic: dead-lettered after CONSUMER_MAX_ATTEMPTS)",
                )
                .build(),
            batch_size: meter
                .u64_histogram("messaging.batch.size")
                .with_description(
                    "Records handled (applied, or found in the inbox) in one committed consumer \
                     transaction (CONSUMER_BATCH_SIZE at most)",
                )
                .with_boundaries(vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0])
                .build(),
            consumer_lag: meter
                .i64_gauge("messaging.consumer.lag")
                .with_description(
                    "Records of an assigned partition not yet consumed (librdkafka's statistics)",
                )
                .build(),
        }
    })
}

fn topic(topic: &str) -> [KeyValue; 1] {
    [KeyValue::new("topic", topic.to_owned())]
}

/// A record of `topic` written at `created_at` was delivered now.
pub(crate) fn published(topic_name: &str, created_at: DateTime<Utc>) {
    instruments()
        .publish_latency
        .record(seconds_since(created_at, Utc::now()), &topic(topic_name));
}

/// The consumer handled a record of `topic_name` with `outcome`.
pub(crate) fn consumed(topic_name: &str, outcome: Outcome) {
    let instruments = instruments();
    let labels = topic(topic_name);
    instruments.consumed.add(1, &labels);
    match outcome {
        Outcome::Applied => {}
        Outcome::Duplicate => instruments.duplicates.add(1, &labels),
        Outcome::DeadLettered => instruments.dead_lettered.add(1, &labels),
    }
}

/// `records` records of `topic_name` were handled (applied, or found in the
/// inbox) in one transaction, which committed.
pub(crate) fn batch_applied(topic_name: &str, records: usize) {
    instruments()
        .batch_size
        .record(records as u64, &topic(topic_name));
}

/// An attempt to apply a record (or a batch, when the database was away)
/// of `topic_name` failed with `class`.
pub(crate) fn failed(topic_name: &str, class: Class) {
    let class = match class {
        Class::Unavailable => "unavailable",
        Class::Deterministic => "deterministic",
    };
    instruments().failed_attempts.add(
        1,
        &[
            KeyValue::new("topic", topic_name.to_owned()),
            KeyValue::new("class", class),
        ],
    );
}

/// Partition `partition` of `topic_name` is `lag` records behind its end.
pub(crate) fn consumer_lag(topic_name: &str, partition: i32, lag: i64) {
    instruments().consumer_lag.record(
        lag,
        &[
            KeyValue::new("topic", topic_name.to_owned()),
            KeyValue::new("partition", i64::from(partition)),
        ],
    );
}

/// Seconds from `then` to `now`; 0 for a `then` in the future (clock skew).
pub(crate) fn seconds_since(then: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    (now - then)
        .to_std()
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// The unpublished rows and the creation time of the oldest.
async fn backlog(db: &DatabaseConnection) -> anyhow::Result<(i64, Option<DateTime<Utc>>)> {
    let row = outbox::Entity::find()
        .select_only()
        .column_as(Expr::col(outbox::Column::Id).count(), "backlog")
        .column_as(Expr::col(outbox::Column::CreatedAt).min(), "oldest")
        .filter(outbox::Column::PublishedAt.is_null())
        .into_tuple::<(i64, Option<DateTime<Utc>>)>()
        .one(db)
        .await
        .context("counting unpublished outbox rows")?;
    Ok(row.unwrap_or((0, None)))
}

/// Samples the backlog every [`BACKLOG_SAMPLE_INTERVAL`] until `shutdown`.
pub(crate) async fn sample_backlog(db: DatabaseConnection, shutdown: CancellationToken) {
    let instruments = instruments();
    loop {
        match backlog(&db).await {
            Ok((rows, oldest)) => {
                instruments
                    .backlog
                    .record(u64::try_from(rows).unwrap_or(0), &[]);
                let age = oldest.map_or(0.0, |oldest| seconds_since(oldest, Utc::now()));
                instruments.oldest_age.record(age, &[]);
            }
            Err(error) => {
                tracing::debug!(error = format!("{error:#}"), "sampling the outbox failed")
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(BACKLOG_SAMPLE_INTERVAL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_age_is_the_seconds_since_creation_and_never_negative() {
        let now = Utc::now();
        let then = now - chrono::Duration::milliseconds(1_500);
        assert!((seconds_since(then, now) - 1.5).abs() < 1e-9);
        assert_eq!(seconds_since(now + chrono::Duration::seconds(3), now), 0.0);
    }
}
