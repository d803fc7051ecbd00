//! PostgreSQL notifications on one channel, over one connection that is
//! reconnected with backoff when it fails.
//!
//! A notification sent while nobody listens is lost, so after each
//! (re)connection the caller hears that anything may have changed: the
//! relay looks for unpublished rows, orders wakes every watcher.

use sea_orm::{DatabaseConnection, sqlx::postgres::PgListener};
use tokio_util::sync::CancellationToken;

use crate::retry::{self, Delays, Waited};

/// Listens on `channel` until `shutdown`: `connected()` after each
/// (re)connection, `notified(payload)` for each notification.
pub async fn listen(
    db: DatabaseConnection,
    channel: &str,
    shutdown: CancellationToken,
    mut connected: impl FnMut(),
    mut notified: impl FnMut(&str),
) {
    let mut delays = retry::delays();
    loop {
        let lost = tokio::select! {
            () = shutdown.cancelled() => return,
            lost = forward(&db, channel, &mut delays, &mut connected, &mut notified) => lost,
        };
        let wait = retry::next(&mut delays);
        tracing::warn!(error = format!("{lost:#}"), channel, retry_in = ?wait, "LISTEN connection lost");
        if retry::sleep(wait, &shutdown).await == Waited::ShutDown {
            return;
        }
    }
}

/// Listens on one connection until it fails, and returns why.
async fn forward(
    db: &DatabaseConnection,
    channel: &str,
    delays: &mut Delays,
    connected: &mut impl FnMut(),
    notified: &mut impl FnMut(&str),
) -> anyhow::Error {
    let mut listener = match PgListener::connect_with(db.get_postgres_connection_pool()).await {
        Ok(listener) => listener,
        Err(error) => return anyhow::Error::new(error).context("connecting the listener"),
    };
    if let Err(error) = listener.listen(channel).await {
        return anyhow::Error::new(error).context(format!("LISTEN {channel}"));
    }
    *delays = retry::delays();
    connected();
    loop {
        // `try_recv`, not `recv`: `recv` reconnects by itself and would hide
        // the gap, in which notifications went to nobody.
        match listener.try_recv().await {
            Ok(Some(notification)) => notified(notification.payload()),
            Ok(None) => return anyhow::anyhow!("the LISTEN connection was lost"),
            Err(error) => return anyhow::Error::new(error).context("receiving a notification"),
        }
    }
}
