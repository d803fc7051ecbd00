//! Everything a service runs beside its gRPC server: its topics, its outbox
//! relay, its inbox consumer and the retention sweep.

use std::future::Future;

use backon::Retryable;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::{
    MessagingConfig,
    consumer::{Handler, InboxConsumer},
    kafka,
    relay::Relay,
    retention, retry,
};

/// A service's messaging side.
pub struct Pipeline<H> {
    pub db: DatabaseConnection,
    pub config: MessagingConfig,
    /// Topics to create at start-up (each with its `.dlq`).
    pub topics: Vec<String>,
    pub consumer: InboxConsumer<H>,
}

impl<H: Handler> Pipeline<H> {
    /// Creates the topics (retrying while the broker is unreachable), then
    /// awaits `ready` and runs the relay, consumer, backlog sampling and
    /// retention sweep until
    /// `shutdown`.
    pub async fn run(
        self,
        ready: impl Future<Output = ()> + Send,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let topics: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        let create = (|| kafka::ensure_topics(&self.config, &topics))
            .retry(retry::policy())
            .notify(|error, wait| {
                tracing::warn!(error = format!("{error:#}"), retry_in = ?wait, "creating topics failed");
            });
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            created = create => created?,
        }
        ready.await;
        let relay = Relay::new(self.db.clone(), self.config.clone())?;
        // When one part fails, the others stop too, and the service reports it.
        let stop = shutdown.child_token();
        let consume = async {
            let result = self.consumer.run(stop.clone()).await;
            stop.cancel();
            result
        };
        let (_, consumed, _, _) = tokio::join!(
            relay.run(stop.clone()),
            consume,
            crate::metrics::sample_backlog(self.db.clone(), stop.clone()),
            retention::run(self.db, self.config, stop.clone()),
        );
        consumed
    }
}
