//! Following one order until it is final: its state now, then each change
//! as [`OrderChanges`] announces it (no polling), for a bounded time.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::{sync::mpsc, time::Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    changes::{Change, OrderChanges, Subscription},
    db,
    domain::Order,
    error::OrderError,
};

/// How many states may wait for a slow client; the watch waits for it.
const BUFFER: usize = 4;

/// Watches orders.
#[derive(Clone, Debug)]
pub(crate) struct Watching {
    pub db: DatabaseConnection,
    pub(crate) changes: OrderChanges,
    /// The longest one watch lasts (`WATCH_MAX_SECS`).
    pub(crate) max_lifetime: Duration,
    /// Ends every watch (the server is stopping).
    pub(crate) shutdown: CancellationToken,
}

/// The states of one watched order, first the current one. The channel
/// closes after a final state, at the end of the watch's lifetime, or at
/// shutdown; an error is the last item.
pub(crate) type States = mpsc::Receiver<Result<Order, OrderError>>;

impl Watching {
    /// Starts watching order `id`; [`OrderError::NotFound`] before anything
    /// is sent when there is none.
    pub(crate) async fn watch(&self, id: Uuid) -> Result<States, OrderError> {
        // Subscribe first: a change committed after the read below is then
        // announced to this subscription.
        let changes = self.changes.subscribe(id);
        let first = read(&self.db, id).await?;
        let (states, receiver) = mpsc::channel(BUFFER);
        let watch = Watch {
            db: self.db.clone(),
            id,
            changes,
            states,
            until: Instant::now() + self.max_lifetime,
            shutdown: self.shutdown.clone(),
        };
        tokio::spawn(watch.run(first));
        Ok(receiver)
    }
}

/// One watch in progress.
struct Watch {
    db: DatabaseConnection,
    id: Uuid,
    changes: Subscription,
    states: mpsc::Sender<Result<Order, OrderError>>,
    until: Instant,
    shutdown: CancellationToken,
}

impl Watch {
    /// Sends `first`, then each different state, until a final one. Holds no
    /// database connection while it waits, and reads the order again only
    /// when a change cannot be known from its notification.
    async fn run(mut self, first: Order) {
        let mut last = first.clone();
        if self.states.send(Ok(first)).await.is_err() {
            return;
        }
        while !last.status.is_final() {
            let change = tokio::select! {
                () = tokio::time::sleep_until(self.until) => return,
                () = self.shutdown.cancelled() => return,
                () = self.states.closed() => return,
                change = self.changes.changed() => change,
            };
            let now = match change {
                Change::To(change) => last.with(&change),
                Change::Unknown | Change::NotYet => match read(&self.db, self.id).await {
                    Ok(order) => order,
                    Err(error) => {
                        let _ = self.states.send(Err(error)).await;
                        return;
                    }
                },
            };
            if now != last {
                last = now.clone();
                if self.states.send(Ok(now)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Order `id` as stored now.
async fn read(db: &DatabaseConnection, id: Uuid) -> Result<Order, OrderError> {
    db::orders::find(db, id)
        .await?
        .ok_or(OrderError::NotFound(id))
}
