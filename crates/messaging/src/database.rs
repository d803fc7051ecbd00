//! The service's PostgreSQL connection pool.

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

use crate::failure::{self, Class};

/// A pooled connection idle at least this long is pinged before it is
/// handed out; one used more recently is not.
///
/// sqlx pings a connection (a Sync and its ReadyForQuery: one round trip)
/// whenever it goes back to the pool, and by default again whenever it is
/// taken out: two round trips per transaction besides its statements (a
/// `SELECT 1` through the pool took 116–151 µs with the second, 80–95 µs
/// without). The ping on release already tells a broken connection from a live
/// one; the one on acquire only catches a connection that died while idle
/// (a database restart, a proxy's idle timeout), which a connection reused
/// within a second seldom is. If one is handed out dead anyway, its
/// statement fails as unavailable (a retry for the consumers and the relay,
/// 503 for a caller) and the failed release ping closes it.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// A pool for `url` that connects lazily: nothing is dialled here, so a
/// service starts (and reports NOT_SERVING) while its database is down, and
/// each use connects when it can. Fails only on a malformed URL.
pub async fn pool(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .connect_lazy(true)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .context("configuring the database pool (is DATABASE_URL a PostgreSQL URL?)")
}

/// The key of the session-level advisory lock that serializes migrations.
/// Advisory locks belong to one database, so each service's database has
/// its own, and replicas of one service take turns.
pub(crate) const MIGRATION_LOCK: i64 = 0x6f72_6465_7266_6c77; // "orderflw"

/// Applies `M`'s pending migrations while holding [`MIGRATION_LOCK`] on a
/// connection of its own (outside the pool, so a pool of one connection
/// cannot deadlock). Replicas started at once wait for each other; the
/// first applies the migrations, the others then find nothing pending.
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> anyhow::Result<()> {
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _};
    let options = db.get_postgres_connection_pool().connect_options();
    let mut lock = options
        .connect()
        .await
        .context("connecting for the migration lock")?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut lock)
        .await
        .context("taking the migration lock")?;
    let migrated = M::up(db, None).await.context("migrating the database");
    // Closing the session releases the lock too; unlocking first says so.
    let unlocked = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut lock)
        .await;
    if let Err(error) = unlocked {
        tracing::warn!(%error, "releasing the migration lock failed; closing its session");
    }
    lock.close().await.ok();
    migrated
}

/// True when `error` comes from the database being unreachable or busy (so
/// the caller may retry later) rather than from the request; the one table
/// is [`failure::classify`].
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    failure::classify(error) == Class::Unavailable
}
