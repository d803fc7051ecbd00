//! The inbox: ids of the events a service has applied.

use std::collections::HashSet;

use anyhow::Context;
use orderflow_runtime::db_span;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use tracing::Instrument;
use uuid::Uuid;

/// Whether an event is new to this service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inbox {
    /// First delivery: recorded now; apply the event.
    Fresh,
    /// Applied before: do nothing.
    Duplicate,
}

/// Records `event_id` in the caller's transaction. A second record of the same
/// id (also a concurrent one, which waits for the first to commit) is a
/// [`Inbox::Duplicate`].
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    topic: &str,
    event_type: &str,
) -> anyhow::Result<Inbox> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO inbox (event_id, topic, event_type) VALUES ($1, $2, $3) \
             ON CONFLICT (event_id) DO NOTHING",
            [event_id.into(), topic.into(), event_type.into()],
        ))
        .instrument(db_span::span("INSERT", "inbox"))
        .await
        .context("recording the event in the inbox")?;
    Ok(if result.rows_affected() == 1 {
        Inbox::Fresh
    } else {
        Inbox::Duplicate
    })
}

/// Records `event_ids` in the caller's transaction with one insert, and
/// returns those that are new (a repeated id counts once). The ids are
/// inserted in sorted order, so two transactions recording overlapping
/// batches take their row locks in the same order and do not deadlock.
pub(crate) async fn record_all(
    db: &impl ConnectionTrait,
    event_ids: &[Uuid],
    topic: &str,
    event_type: &str,
) -> anyhow::Result<HashSet<Uuid>> {
    let mut ids = event_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = (0..ids.len())
        .map(|index| format!("(${}, $1, $2)", index + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let mut values: Vec<Value> = vec![topic.into(), event_type.into()];
    values.extend(ids.into_iter().map(Value::from));
    let inserted = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "INSERT INTO inbox (event_id, topic, event_type) VALUES {rows} \
                 ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
            ),
            values,
        ))
        .instrument(db_span::span("INSERT", "inbox"))
        .await
        .context("recording the events in the inbox")?;
    inserted
        .iter()
        .map(|row| {
            row.try_get::<Uuid>("", "event_id")
                .context("reading an inserted inbox id")
        })
        .collect()
}
