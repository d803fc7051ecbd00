//! Order changes as PostgreSQL announces them: one `LISTEN order_status`
//! connection per process, and a registry of watchers by order id, so a
//! thousand watchers cost one connection, not a thousand, and a change wakes
//! only the watchers of its order, not all of them.
//!
//! The `order_status_changed` trigger notifies with the order's id in the
//! transaction that changes its status, so a notification arrives only after
//! the change is committed and visible to a fresh read.
//!
//! A watcher learns only that its order may have changed, and reads it
//! again: several changes before it looks count as one, so a slow watcher
//! never falls behind, and a (re)connected listener, which may have missed
//! changes, wakes every watcher once.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use orderflow_messaging::notifications;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The notification channel the trigger uses.
pub(crate) const CHANNEL: &str = "order_status";

/// The process's one listener and its watchers; clones share them.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrderChanges {
    watchers: Arc<Watchers>,
}

/// The watchers of each order, each with its own wake-up.
#[derive(Debug, Default)]
struct Watchers {
    by_order: Mutex<ByOrder>,
    next_serial: AtomicU64,
}

/// Order id → its watchers: each one's serial and wake-up.
type ByOrder = HashMap<Uuid, Vec<(u64, Arc<Notify>)>>;

impl Watchers {
    fn lock(&self) -> MutexGuard<'_, ByOrder> {
        // The map holds no invariant a panicking holder could break.
        self.by_order
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wakes the watchers of `id`.
    fn changed(&self, id: Uuid) {
        if let Some(watchers) = self.lock().get(&id) {
            for (_, wake) in watchers {
                wake.notify_one();
            }
        }
    }

    /// Wakes every watcher: changes may have been missed.
    fn anything_changed(&self) {
        for (_, wake) in self.lock().values().flatten() {
            wake.notify_one();
        }
    }
}

impl OrderChanges {
    /// Starts listening on a connection from `db`'s pool, reconnecting with
    /// backoff when it is lost, until `shutdown`.
    pub(crate) fn start(db: DatabaseConnection, shutdown: CancellationToken) -> Self {
        let changes = Self::default();
        tokio::spawn(listen(db, Arc::clone(&changes.watchers), shutdown));
        changes
    }

    /// Changes of order `id` from now on. Subscribe before reading the
    /// order, so no change committed after that read is missed.
    pub(crate) fn subscribe(&self, id: Uuid) -> Subscription {
        let serial = self.watchers.next_serial.fetch_add(1, Ordering::Relaxed);
        let wake = Arc::new(Notify::new());
        self.watchers
            .lock()
            .entry(id)
            .or_default()
            .push((serial, Arc::clone(&wake)));
        Subscription {
            watchers: Arc::clone(&self.watchers),
            id,
            serial,
            wake,
        }
    }
}

/// One watcher's view of its order's changes; dropping it unregisters it.
#[derive(Debug)]
pub(crate) struct Subscription {
    watchers: Arc<Watchers>,
    id: Uuid,
    serial: u64,
    wake: Arc<Notify>,
}

impl Subscription {
    /// Returns once the order may have changed since the subscription, or
    /// since this last returned: read it again.
    pub(crate) async fn changed(&self) {
        self.wake.notified().await;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut by_order = self.watchers.lock();
        if let Some(watchers) = by_order.get_mut(&self.id) {
            watchers.retain(|(serial, _)| *serial != self.serial);
            if watchers.is_empty() {
                by_order.remove(&self.id);
            }
        }
    }
}

/// Forwards notifications until `shutdown`; after each (re)connection it
/// wakes every watcher, which covers what was committed meanwhile.
async fn listen(db: DatabaseConnection, watchers: Arc<Watchers>, shutdown: CancellationToken) {
    notifications::listen(
        db,
        CHANNEL,
        shutdown,
        || watchers.anything_changed(),
        |payload| match Uuid::parse_str(payload) {
            Ok(id) => watchers.changed(id),
            Err(_) => tracing::warn!(
                payload,
                "an order_status notification without an order id; ignored"
            ),
        },
    )
    .await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Whether `subscription` is woken within a moment.
    async fn woken(subscription: &Subscription) -> bool {
        tokio::time::timeout(Duration::from_millis(50), subscription.changed())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_change_wakes_the_watchers_of_its_order_only() {
        let changes = OrderChanges::default();
        let (mine, other) = (Uuid::new_v4(), Uuid::new_v4());
        let first = changes.subscribe(mine);
        let second = changes.subscribe(mine);
        let elsewhere = changes.subscribe(other);
        changes.watchers.changed(mine);
        assert!(woken(&first).await);
        assert!(woken(&second).await);
        assert!(!woken(&elsewhere).await);
    }

    #[tokio::test]
    async fn changes_before_the_watcher_looks_wake_it_once() {
        let changes = OrderChanges::default();
        let id = Uuid::new_v4();
        let watcher = changes.subscribe(id);
        changes.watchers.changed(id);
        changes.watchers.changed(id);
        assert!(woken(&watcher).await);
        assert!(!woken(&watcher).await, "two changes, one wake-up");
    }

    #[tokio::test]
    async fn a_reconnected_listener_wakes_every_watcher() {
        let changes = OrderChanges::default();
        let watchers: Vec<_> = (0..3).map(|_| changes.subscribe(Uuid::new_v4())).collect();
        changes.watchers.anything_changed();
        for watcher in &watchers {
            assert!(woken(watcher).await);
        }
    }

    #[test]
    fn a_dropped_subscription_is_forgotten() {
        let changes = OrderChanges::default();
        let id = Uuid::new_v4();
        let kept = changes.subscribe(id);
        drop(changes.subscribe(id));
        assert_eq!(changes.watchers.lock().get(&id).map(Vec::len), Some(1));
        drop(kept);
        assert!(changes.watchers.lock().is_empty());
    }
}
