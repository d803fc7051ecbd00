//! Order changes as PostgreSQL announces them: one `LISTEN order_status`
//! connection per process, and a registry of watchers by order id, so a
//! thousand watchers cost one connection, not a thousand, and a change wakes
//! only the watchers of its order, not all of them.
//!
//! The `order_status_changed` trigger notifies in the transaction that
//! changes an order's status, so a notification arrives only after the
//! change is committed. It carries the change itself (status, reason, time;
//! the rest of an order never changes), so a watcher applies it to the state
//! it has without reading the order again.
//!
//! A watcher keeps only the latest change it has not looked at: a slow
//! watcher never falls behind. What cannot be known from a notification (a
//! payload that does not parse, or a (re)connected listener, which may have
//! missed changes) tells the watcher to read the order again.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::DateTime;
use orderflow_domain::FailureReason;
use orderflow_messaging::notifications;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::{OrderStatus, StatusChange};

/// The notification channel the trigger uses.
pub(crate) const CHANNEL: &str = "order_status";

/// What a watcher learns: how its order changed, or only that it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing yet since the subscription.
    NotYet,
    /// The order changed so.
    To(StatusChange),
    /// The order may have changed: read it again.
    Unknown,
}

/// The process's one listener and its watchers; clones share them.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrderChanges {
    watchers: Arc<Watchers>,
}

/// The watchers of each order, each with the latest change it has not seen.
#[derive(Debug, Default)]
struct Watchers {
    by_order: Mutex<ByOrder>,
    next_serial: AtomicU64,
}

/// Order id → its watchers: each one's serial and latest change.
type ByOrder = HashMap<Uuid, Vec<(u64, watch::Sender<Change>)>>;

impl Watchers {
    fn lock(&self) -> MutexGuard<'_, ByOrder> {
        // The map holds no invariant a panicking holder could break.
        self.by_order
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Tells the watchers of `id` of `change`.
    fn changed(&self, id: Uuid, change: Change) {
        if let Some(watchers) = self.lock().get(&id) {
            for (_, latest) in watchers {
                latest.send_replace(change);
            }
        }
    }

    /// Tells every watcher to read its order again: changes may have been
    /// missed.
    fn anything_changed(&self) {
        for (_, latest) in self.lock().values().flatten() {
            latest.send_replace(Change::Unknown);
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
        let (latest, seen) = watch::channel(Change::NotYet);
        self.watchers
            .lock()
            .entry(id)
            .or_default()
            .push((serial, latest));
        Subscription {
            watchers: Arc::clone(&self.watchers),
            id,
            serial,
            seen,
        }
    }
}

/// One watcher's view of its order's changes; dropping it unregisters it.
#[derive(Debug)]
pub(crate) struct Subscription {
    watchers: Arc<Watchers>,
    id: Uuid,
    serial: u64,
    seen: watch::Receiver<Change>,
}

impl Subscription {
    /// The latest change since the subscription, or since this last
    /// returned, once there is one.
    pub(crate) async fn changed(&mut self) -> Change {
        // The sender lives in the registry until this subscription drops.
        let _ = self.seen.changed().await;
        *self.seen.borrow_and_update()
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

/// A notification's payload, `<id> <status> <updated_at µs>[ <reason>]`:
/// the order's id and its change ([`Change::Unknown`] when the rest does
/// not parse); `None` without an id.
fn parse(payload: &str) -> Option<(Uuid, Change)> {
    let (id, change) = payload.split_once(' ').unwrap_or((payload, ""));
    let id = Uuid::parse_str(id).ok()?;
    Some((
        id,
        status_change(change).map_or(Change::Unknown, Change::To),
    ))
}

/// `<status> <updated_at µs>[ <reason>]`.
fn status_change(text: &str) -> Option<StatusChange> {
    let mut fields = text.split(' ');
    let status = OrderStatus::parse(fields.next()?)?;
    let updated_at = DateTime::from_timestamp_micros(fields.next()?.parse().ok()?)?;
    let failure_reason = match fields.next() {
        Some(reason) => Some(FailureReason::try_from(reason).ok()?),
        None => None,
    };
    fields.next().is_none().then_some(StatusChange {
        status,
        failure_reason,
        updated_at,
    })
}

/// Forwards notifications until `shutdown`; after each (re)connection it
/// tells every watcher to read its order again, which covers what was
/// committed meanwhile.
async fn listen(db: DatabaseConnection, watchers: Arc<Watchers>, shutdown: CancellationToken) {
    notifications::listen(
        db,
        CHANNEL,
        shutdown,
        || watchers.anything_changed(),
        |payload| match parse(payload) {
            Some((id, change)) => {
                if change == Change::Unknown {
                    tracing::warn!(payload, "an order_status notification without a change the watchers can apply; they read the order again");
                }
                watchers.changed(id, change);
            }
            None => tracing::warn!(
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

    fn finished() -> Change {
        Change::To(StatusChange {
            status: OrderStatus::Finished,
            failure_reason: None,
            updated_at: DateTime::from_timestamp_micros(1_764_900_000_123_456).unwrap(),
        })
    }

    /// The change `subscription` is told of within a moment, if any.
    async fn told(subscription: &mut Subscription) -> Option<Change> {
        tokio::time::timeout(Duration::from_millis(50), subscription.changed())
            .await
            .ok()
    }

    #[tokio::test]
    async fn a_change_reaches_the_watchers_of_its_order_only() {
        let changes = OrderChanges::default();
        let (mine, other) = (Uuid::new_v4(), Uuid::new_v4());
        let mut first = changes.subscribe(mine);
        let mut second = changes.subscribe(mine);
        let mut elsewhere = changes.subscribe(other);
        changes.watchers.changed(mine, finished());
        assert_eq!(told(&mut first).await, Some(finished()));
        assert_eq!(told(&mut second).await, Some(finished()));
        assert_eq!(told(&mut elsewhere).await, None);
    }

    #[tokio::test]
    async fn changes_before_the_watcher_looks_reach_it_once_as_the_latest() {
        let changes = OrderChanges::default();
        let id = Uuid::new_v4();
        let mut watcher = changes.subscribe(id);
        changes.watchers.changed(id, Change::Unknown);
        changes.watchers.changed(id, finished());
        assert_eq!(told(&mut watcher).await, Some(finished()));
        assert_eq!(told(&mut watcher).await, None, "two changes, one wake-up");
    }

    #[tokio::test]
    async fn a_reconnected_listener_tells_every_watcher_to_read_again() {
        let changes = OrderChanges::default();
        let mut watchers: Vec<_> = (0..3).map(|_| changes.subscribe(Uuid::new_v4())).collect();
        changes.watchers.anything_changed();
        for watcher in &mut watchers {
            assert_eq!(told(watcher).await, Some(Change::Unknown));
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

    #[test]
    fn a_payload_carries_the_status_its_time_and_the_reason() {
        let id = Uuid::now_v7();
        assert_eq!(
            parse(&format!("{id} FINISHED 1764900000123456")),
            Some((id, finished()))
        );
        let Some((_, Change::To(cancelled))) = parse(&format!(
            "{id} CANCELLED 1764900000123456 INSUFFICIENT_FUNDS"
        )) else {
            panic!("a cancellation parses");
        };
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(
            cancelled.failure_reason,
            Some(FailureReason::InsufficientFunds)
        );
    }

    #[test]
    fn a_payload_without_a_change_means_read_again_and_one_without_an_id_nothing() {
        let id = Uuid::now_v7();
        for unknown in [
            id.to_string(),
            format!("{id} PAID 1764900000123456"),
            format!("{id} FINISHED yesterday"),
            format!("{id} CANCELLED 1764900000123456 BAD_LUCK"),
            format!("{id} FINISHED 1764900000123456 INSUFFICIENT_FUNDS extra"),
        ] {
            assert_eq!(parse(&unknown), Some((id, Change::Unknown)), "{unknown}");
        }
        assert_eq!(parse("not-an-id FINISHED 1764900000123456"), None);
    }
}
