//! Health that follows the dependencies: a service is SERVING only once it
//! is ready (database migrated, topics created) and while both its database
//! and its broker answer. Both are asked every interval, and at once when a
//! part of the service reports a failure ([`Recheck::now`]).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use rdkafka::{
    ClientConfig,
    consumer::{BaseConsumer, Consumer},
};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long one probe of a dependency may take before it counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Shared between the health monitor and the parts that make the service
/// ready or see it fail.
#[derive(Clone, Debug, Default)]
pub(crate) struct Recheck {
    ready: Arc<AtomicBool>,
    wake: Arc<Notify>,
}

impl Recheck {
    /// The service is set up (migrated, topics created): from now on its
    /// health is that of its dependencies.
    pub(crate) fn ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
        self.now();
    }

    /// Something failed: check the dependencies now, not at the next tick.
    pub(crate) fn now(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
}

/// What one round of checks saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) ready: bool,
    pub(crate) database: bool,
    pub(crate) broker: bool,
}

impl Seen {
    pub(crate) fn serving(self) -> bool {
        self.ready && self.database && self.broker
    }
}

/// Asks the database and the broker every `interval` (or on
/// [`Recheck::now`]) and calls `report` whenever what it saw changes, until
/// `shutdown`.
pub(crate) async fn monitor<F, Fut>(
    db: DatabaseConnection,
    brokers: &str,
    interval: Duration,
    recheck: Recheck,
    mut report: F,
    shutdown: CancellationToken,
) -> anyhow::Result<()>
where
    F: FnMut(Seen) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let broker: Arc<BaseConsumer> = Arc::new(
        ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .create()
            .context("creating the broker health probe")?,
    );
    let mut last = None;
    loop {
        let (database, broker_up) = tokio::join!(database_answers(&db), broker_answers(&broker));
        let seen = Seen {
            ready: recheck.is_ready(),
            database,
            broker: broker_up,
        };
        if last != Some(seen) {
            if seen.serving() {
                tracing::info!(?seen, "serving");
            } else {
                tracing::warn!(?seen, "not serving");
            }
            report(seen).await;
            last = Some(seen);
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
            () = recheck.wake.notified() => {}
        }
    }
    // Dropping a librdkafka client blocks; keep it off the async threads.
    tokio::task::spawn_blocking(move || drop(broker)).await.ok();
    Ok(())
}

async fn database_answers(db: &DatabaseConnection) -> bool {
    match tokio::time::timeout(PROBE_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::debug!(%error, "the database does not answer");
            false
        }
        Err(_) => false,
    }
}

async fn broker_answers(broker: &Arc<BaseConsumer>) -> bool {
    let broker = Arc::clone(broker);
    let asked = tokio::task::spawn_blocking(move || {
        broker
            .fetch_metadata(None, PROBE_TIMEOUT)
            .map(|metadata| !metadata.brokers().is_empty())
    })
    .await;
    match asked {
        Ok(Ok(answered)) => answered,
        Ok(Err(error)) => {
            tracing::debug!(%error, "the broker does not answer");
            false
        }
        Err(_) => false,
    }
}
