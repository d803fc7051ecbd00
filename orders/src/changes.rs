//! Order changes as PostgreSQL announces them: one `LISTEN order_status`
//! connection per process, fanned out to every watcher through a broadcast
//! channel, so a thousand watchers cost one connection, not a thousand.
//!
//! The `order_status_changed` trigger notifies with the order's id in the
//! transaction that changes its status, so a notification arrives only after
//! the change is committed and visible to a fresh read.

use orderflow_messaging::retry::{self, Delays, Waited};
use sea_orm::{DatabaseConnection, sqlx::postgres::PgListener};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The notification channel the trigger uses.
pub(crate) const CHANNEL: &str = "order_status";

/// How many changes a slow watcher may fall behind before it is told to
/// re-read ([`Change::Unknown`]) instead.
const CAPACITY: usize = 1024;

/// What a watcher learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// This order's status changed, and the change is committed.
    Order(Uuid),
    /// Changes may have been missed (the listener (re)connected, or this
    /// watcher fell behind): every watcher should re-read its order.
    Unknown,
}

/// The process's one listener; clones share it.
#[derive(Clone, Debug)]
pub(crate) struct OrderChanges {
    sender: broadcast::Sender<Change>,
}

impl OrderChanges {
    /// Starts listening on a connection from `db`'s pool, reconnecting with
    /// backoff when it is lost, until `shutdown`.
    pub(crate) fn start(db: DatabaseConnection, shutdown: CancellationToken) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        tokio::spawn(listen(db, sender.clone(), shutdown));
        Self { sender }
    }

    /// Changes from now on. Subscribe before reading the order, so no change
    /// committed after that read is missed.
    pub(crate) fn subscribe(&self) -> Subscription {
        Subscription(self.sender.subscribe())
    }
}

/// One watcher's view of the changes.
#[derive(Debug)]
pub(crate) struct Subscription(broadcast::Receiver<Change>);

impl Subscription {
    /// The next change; `None` once the listener is gone for good.
    pub(crate) async fn next(&mut self) -> Option<Change> {
        match self.0.recv().await {
            Ok(change) => Some(change),
            Err(RecvError::Lagged(_)) => Some(Change::Unknown),
            Err(RecvError::Closed) => None,
        }
    }
}

/// Forwards notifications until `shutdown`; after each (re)connection it
/// announces [`Change::Unknown`], which covers what was committed meanwhile.
async fn listen(
    db: DatabaseConnection,
    sender: broadcast::Sender<Change>,
    shutdown: CancellationToken,
) {
    let mut delays = retry::delays();
    loop {
        let lost = tokio::select! {
            () = shutdown.cancelled() => return,
            lost = forward(&db, &sender, &mut delays) => lost,
        };
        let wait = retry::next(&mut delays);
        tracing::warn!(error = format!("{lost:#}"), retry_in = ?wait, "order_status listener lost");
        if retry::sleep(wait, &shutdown).await == Waited::ShutDown {
            return;
        }
    }
}

/// Listens on one connection until it fails, and returns why.
async fn forward(
    db: &DatabaseConnection,
    sender: &broadcast::Sender<Change>,
    delays: &mut Delays,
) -> anyhow::Error {
    let mut listener = match PgListener::connect_with(db.get_postgres_connection_pool()).await {
        Ok(listener) => listener,
        Err(error) => return anyhow::Error::new(error).context("connecting the listener"),
    };
    if let Err(error) = listener.listen(CHANNEL).await {
        return anyhow::Error::new(error).context("LISTEN order_status");
    }
    *delays = retry::delays();
    // No receivers is fine: nobody is watching.
    let _ = sender.send(Change::Unknown);
    loop {
        // `try_recv`, not `recv`: `recv` reconnects by itself and would hide
        // the gap, while a new connection must announce `Change::Unknown`.
        let notification = match listener.try_recv().await {
            Ok(Some(notification)) => notification,
            Ok(None) => return anyhow::anyhow!("the LISTEN connection was lost"),
            Err(error) => return anyhow::Error::new(error).context("receiving a notification"),
        };
        match Uuid::parse_str(notification.payload()) {
            Ok(id) => {
                let _ = sender.send(Change::Order(id));
            }
            Err(_) => tracing::warn!(
                payload = notification.payload(),
                "an order_status notification without an order id; ignored"
            ),
        }
    }
}
