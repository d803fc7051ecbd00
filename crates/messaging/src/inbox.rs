//! The inbox: ids of the events a service has applied.

use anyhow::Context;
use orderflow_runtime::db_span;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
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
