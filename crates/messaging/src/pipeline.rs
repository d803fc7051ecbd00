//! Everything a service runs beside its gRPC server: the topics it declares,
//! its outbox relay, one inbox consumer per topic it consumes, and the
//! retention sweep. The pipeline knows no topic by name: the service lists
//! them ([`Topics`]).

use std::future::Future;

use backon::Retryable;
use futures::{FutureExt, future::BoxFuture};
use sea_orm::DatabaseConnection;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{
    MessagingConfig,
    consumer::{Handler, InboxConsumer},
    kafka,
    relay::Relay,
    retention, retry,
};

/// The topics a service declares: those it produces to (through its outbox)
/// and those it consumes, each with its handler. All of them, each with its
/// `.dlq`, are created at start-up.
#[derive(Default)]
pub struct Topics {
    pub produces: Vec<String>,
    pub consumes: Vec<Consume>,
}

impl Topics {
    /// Every topic named, once each, in the order given.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let all = self
            .produces
            .iter()
            .chain(self.consumes.iter().map(|consume| &consume.topic));
        for name in all {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }
}

/// Runs one inbox consumer until shutdown.
type ConsumerTask = Box<
    dyn FnOnce(
            DatabaseConnection,
            MessagingConfig,
            CancellationToken,
        ) -> BoxFuture<'static, anyhow::Result<()>>
        + Send,
>;

/// One consumed topic: its consumer group and the handler of its events.
pub struct Consume {
    pub topic: String,
    task: ConsumerTask,
}

impl Consume {
    /// Consumes `topic` in `group`, applying each event with `handler`
    /// through the inbox.
    pub fn new<H: Handler>(topic: impl Into<String>, group: impl Into<String>, handler: H) -> Self {
        let (topic, group) = (topic.into(), group.into());
        let task: ConsumerTask = {
            let topic = topic.clone();
            Box::new(move |db, config, shutdown| {
                let consumer = InboxConsumer {
                    db,
                    config,
                    topic,
                    group,
                    handler,
                };
                Box::pin(consumer.run(shutdown))
            })
        };
        Self { topic, task }
    }
}

/// A service's messaging side.
pub struct Pipeline {
    pub db: DatabaseConnection,
    pub config: MessagingConfig,
    pub topics: Topics,
}

impl Pipeline {
    /// Creates the topics (retrying while the broker is unreachable), then
    /// awaits `ready` and runs the relay, the consumers, backlog sampling
    /// and the retention sweep until `shutdown`. When a consumer fails, the
    /// rest stop too and its error is returned.
    pub async fn run(
        self,
        ready: impl Future<Output = ()> + Send,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let names = self.topics.names();
        let topics: Vec<&str> = names.iter().map(String::as_str).collect();
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
        // When one part ends (a consumer failed, or any part panicked), the
        // others stop too, and the service reports it.
        let stop = shutdown.child_token();
        let mut parts = Parts::new(stop.clone());
        parts.start(relay.run(stop.clone()).map(Ok));
        for consume in self.topics.consumes {
            parts.start((consume.task)(
                self.db.clone(),
                self.config.clone(),
                stop.clone(),
            ));
        }
        parts.start(crate::metrics::sample_backlog(self.db.clone(), stop.clone()).map(Ok));
        parts.start(retention::run(self.db, self.config, stop.clone()).map(Ok));
        parts.join().await
    }
}

/// The pipeline's parts, each a task of its own on the runtime's workers
/// (not multiplexed in the caller's task, which would poll all of them at
/// every wake-up of one, on whatever thread awaits it), and the token that
/// stops them all when one ends.
struct Parts {
    tasks: JoinSet<anyhow::Result<()>>,
    stop: CancellationToken,
}

impl Parts {
    fn new(stop: CancellationToken) -> Self {
        Self {
            tasks: JoinSet::new(),
            stop,
        }
    }

    /// Runs `part` until it ends, then stops the others.
    fn start(&mut self, part: impl Future<Output = anyhow::Result<()>> + Send + 'static) {
        let stop = self.stop.clone();
        self.tasks.spawn(async move {
            let result = part.await;
            stop.cancel();
            result
        });
    }

    /// Waits for every part; the first error (or panic) is the result.
    async fn join(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let result = joined
                .map_err(|error| anyhow::anyhow!("a messaging task failed: {error}"))
                .and_then(|result| result);
            if let Err(error) = result {
                self.stop.cancel();
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_declared_topic_is_named_once() {
        let topics = Topics {
            produces: vec!["a".into(), "b".into(), "a".into()],
            consumes: Vec::new(),
        };
        assert_eq!(topics.names(), ["a", "b"]);
    }
}
