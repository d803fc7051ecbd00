//! Deletes published outbox rows and inbox rows past their retention, and
//! the rows of any other table a service lists ([`Retained`]), such as its
//! idempotency keys.

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio_util::sync::CancellationToken;

use crate::MessagingConfig;

/// A table a service keeps rows of for a while: rows whose `column` (a
/// timestamp) is older than `period` are deleted by each sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retained {
    /// A table name from the code (never from input).
    pub table: &'static str,
    /// Its timestamp column the period counts from.
    pub column: &'static str,
    pub period: Duration,
}

/// How many rows one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub outbox: u64,
    pub inbox: u64,
    /// Rows of the [`MessagingConfig::retained`] tables, all together.
    pub retained: u64,
}

/// Deletes published outbox rows older than the outbox retention and inbox
/// rows older than the inbox retention, and the old rows of each
/// [`Retained`] table. Unpublished rows are never deleted.
pub async fn sweep(db: &impl ConnectionTrait, config: &MessagingConfig) -> anyhow::Result<Swept> {
    let seconds = |period: Duration| i64::try_from(period.as_secs()).unwrap_or(i64::MAX);
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
    let mut retained = 0;
    for table in &config.retained {
        let identifier = |name: &str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte == b'_')
        };
        anyhow::ensure!(
            identifier(table.table) && identifier(table.column),
            "retained table {:?}.{:?} is not a plain identifier",
            table.table,
            table.column
        );
        let deleted = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "DELETE FROM {} WHERE {} < now() - make_interval(secs => $1::float8)",
                    table.table, table.column
                ),
                [seconds(table.period).into()],
            ))
            .await
            .with_context(|| format!("deleting old rows of {}", table.table))?
            .rows_affected();
        retained += deleted;
    }
    Ok(Swept {
        outbox,
        inbox,
        retained,
    })
}

/// Sweeps every `retention_interval` until `shutdown`.
pub(crate) async fn run(
    db: DatabaseConnection,
    config: MessagingConfig,
    shutdown: CancellationToken,
) {
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
                    retained = swept.retained,
                    "retention sweep"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = format!("{error:#}"), "retention sweep failed"),
        }
    }
}
