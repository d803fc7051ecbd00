//! The service's PostgreSQL connection pool.

use std::time::Duration;

use anyhow::Context;
use backon::Retryable;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::{
    failure::{self, Class},
    retry,
};

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
    (|| Database::connect(options.clone()))
        .retry(retry::policy().with_total_delay(Some(patience)))
        .notify(|error, wait| {
            tracing::warn!(%error, retry_in = ?wait, "database not reachable yet; retrying");
        })
        .await
        .context("connecting to the database")
}

/// True when `error` comes from the database being unreachable or busy (so
/// the caller may retry later) rather than from the request; the one table
/// is [`failure::classify`].
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    failure::classify(error) == Class::Unavailable
}
