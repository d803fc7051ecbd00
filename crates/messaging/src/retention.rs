//! Deletes published outbox rows and inbox rows past their retention.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio_util::sync::CancellationToken;

use crate::MessagingConfig;

/// How many rows one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub outbox: u64,
    pub inbox: u64,
}

/// Deletes published outbox rows older than the outbox retention and inbox
/// rows older than the inbox retention. Unpublished rows are never deleted.
pub async fn sweep(db: &impl ConnectionTrait, config: &MessagingConfig) -> anyhow::Result<Swept> {
    let seconds = |period: std::time::Duration| i64::try_from(period.as_secs()).unwrap_or(i64::MAX);
    let outbox = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM outbox WHERE published_at IS NOT NULL \
             AND published_at < now() - make_interval(secs => $1::float8)",
            [seconds(config.outbox_retention).into()],
        ))
        .await
        .context("deleting old outbox rows")?
        .rows_affected();
    let inbox = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM inbox WHERE received_at < now() - make_interval(secs => $1::float8)",
            [seconds(config.inbox_retention).into()],
        ))
        .await
        .context("deleting old inbox rows")?
        .rows_affected();
    Ok(Swept { outbox, inbox })
}

/// Sweeps every `retention_interval` until `shutdown`.
pub async fn run(db: DatabaseConnection, config: MessagingConfig, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(config.retention_interval);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match sweep(&db, &config).await {
            Ok(swept) if swept != Swept::default() => {
                tracing::info!(
                    outbox = swept.outbox,
                    inbox = swept.inbox,
                    "retention sweep"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = format!("{error:#}"), "retention sweep failed"),
        }
    }
}
