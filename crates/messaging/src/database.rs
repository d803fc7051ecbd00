//! The service's PostgreSQL connection pool.

use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::backoff::Backoff;

/// Connects to `url`, retrying for up to `patience` (a database that starts
/// beside the service may not accept connections yet).
pub async fn connect(
    url: &str,
    max_connections: u32,
    patience: Duration,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let deadline = Instant::now() + patience;
    let mut backoff = Backoff::default();
    loop {
        match Database::connect(options.clone()).await {
            Ok(db) => return Ok(db),
            Err(error) if Instant::now() < deadline => {
                tracing::warn!(%error, "database not reachable yet; retrying");
                tokio::time::sleep(backoff.next_wait()).await;
            }
            Err(error) => return Err(error).context("connecting to the database"),
        }
    }
}

/// True when `error` comes from the database being unreachable (so the
/// caller may retry later) rather than from the request.
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<sea_orm::DbErr>(),
            Some(sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_))
        )
    })
}
