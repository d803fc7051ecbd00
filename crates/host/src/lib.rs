//! Hosts a service of this system: a gRPC API over its own database, beside
//! its messaging pipeline (the topics it declares, outbox relay, inbox
//! consumers, retention), with `/metrics` and health that follows its
//! database and broker ([`health`]). Orders and payments differ only in
//! their API, migrations, topics and handlers.

pub mod config;
mod gate;
pub(crate) mod health;

pub use config::HostConfig;

use std::net::SocketAddr;

use anyhow::Context;
use futures::future::BoxFuture;
use orderflow_runtime::{
    grpc::{self, GrpcService},
    metrics::MetricsListener,
};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use orderflow_messaging::{MessagingConfig, Topics, database, pipeline::Pipeline, retry};

use crate::health::Recheck;

/// Applies a service's migrations (under the migration lock).
type Migrate = for<'a> fn(&'a DatabaseConnection) -> BoxFuture<'a, anyhow::Result<()>>;

fn migrate<M: MigratorTrait + 'static>(
    db: &DatabaseConnection,
) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(database::migrate::<M>(db))
}

/// A service with its listeners bound; its database is connected and
/// migrated once it runs, whenever the database answers.
pub struct Host {
    config: HostConfig,
    messaging: MessagingConfig,
    db: DatabaseConnection,
    migrate: Migrate,
    listener: TcpListener,
    grpc_addr: SocketAddr,
    metrics: MetricsListener,
}

impl Host {
    /// Binds the gRPC and metrics listeners and sets up a database pool that
    /// connects lazily: the service starts while its database is down.
    /// `M`'s migrations are applied when it runs.
    pub async fn build<M: MigratorTrait + 'static>(
        config: HostConfig,
        messaging: MessagingConfig,
    ) -> anyhow::Result<Self> {
        let db = database::pool(
            config.database_url.expose(),
            config.database_max_connections,
        )
        .await?;
        let listener = TcpListener::bind(config.grpc_addr)
            .await
            .with_context(|| format!("binding {}", config.grpc_addr))?;
        let grpc_addr = listener.local_addr()?;
        let metrics = MetricsListener::bind(config.metrics_addr).await?;
        Ok(Self {
            config,
            messaging,
            db,
            migrate: migrate::<M>,
            listener,
            grpc_addr,
            metrics,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The address `GET /metrics` answers on.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics.addr()
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves `api` (reflection over `descriptors`, health checking) at
    /// once, and runs the messaging pipeline of `topics` until `shutdown`.
    /// Beside the server it migrates the database (retrying while it is
    /// down), creates the topics, then runs the relay and one consumer per
    /// consumed topic. Health says SERVING only once that is done and while
    /// both the database and the broker answer ([`health::monitor`]). When
    /// the server or the pipeline fails, the other stops too.
    pub async fn run<S>(
        self,
        descriptors: &'static [u8],
        api: S,
        topics: Topics,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()>
    where
        S: GrpcService,
        S::Future: Send + 'static,
    {
        let config = self.config;
        let (health, health_service) = grpc::health();
        health.set::<S>(false).await;
        let recheck = Recheck::default();
        let pipeline = Pipeline {
            db: self.db.clone(),
            config: self.messaging.clone(),
            topics,
        };
        let api = gate::Gated::new(api, recheck.clone());
        let stop = shutdown.child_token();
        let server = async {
            let result = grpc::serve(
                self.listener,
                descriptors,
                health_service,
                api,
                stop.clone(),
            )
            .await;
            stop.cancel();
            result
        };
        let monitor = async {
            let result = health::monitor(
                self.db.clone(),
                &self.messaging.brokers,
                config.health_interval,
                recheck.clone(),
                |seen| health.set::<S>(seen.serving()),
                stop.clone(),
            )
            .await;
            stop.cancel();
            result
        };
        let messaging = async {
            let result = async {
                if !migrate_until_done(&self.db, self.migrate, &recheck, &stop).await {
                    return Ok(());
                }
                pipeline.run(async { recheck.ready() }, stop.clone()).await
            }
            .await;
            stop.cancel();
            result
        };
        let metrics = async {
            let result = self.metrics.serve(stop.clone()).await;
            stop.cancel();
            result
        };
        let (served, monitored, messaged, metered) =
            tokio::join!(server, monitor, messaging, metrics);
        self.db.close().await.ok();
        served?;
        metered?;
        monitored.context("health monitor")?;
        messaged.context("messaging pipeline")
    }
}

/// Migrates, retrying with backoff while the database does not answer;
/// false when `shutdown` came first.
async fn migrate_until_done(
    db: &DatabaseConnection,
    migrate: Migrate,
    recheck: &Recheck,
    shutdown: &CancellationToken,
) -> bool {
    let mut delays = retry::delays();
    loop {
        let result = tokio::select! {
            () = shutdown.cancelled() => return false,
            result = migrate(db) => result,
        };
        match result {
            Ok(()) => return true,
            Err(error) => {
                recheck.now();
                let wait = retry::next(&mut delays);
                tracing::warn!(error = format!("{error:#}"), retry_in = ?wait, "migrating the database failed");
                if retry::sleep(wait, shutdown).await == retry::Waited::ShutDown {
                    return false;
                }
            }
        }
    }
}
