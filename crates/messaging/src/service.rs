//! A service of this system: a gRPC API over its own database, beside its
//! messaging pipeline (topics, outbox relay, inbox consumer, retention).
//! Orders and payments differ only in their API, migrations and handler.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context;
use orderflow_runtime::{
    grpc::{self, GrpcService},
    metrics::MetricsListener,
};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    ServiceConfig,
    consumer::{Handler, InboxConsumer},
    database,
    pipeline::Pipeline,
};

/// How long start-up waits for the database.
const DATABASE_PATIENCE: Duration = Duration::from_secs(60);

/// A service with its database migrated and its listener bound.
pub struct Host {
    config: ServiceConfig,
    db: DatabaseConnection,
    listener: TcpListener,
    grpc_addr: SocketAddr,
    metrics: MetricsListener,
}

impl Host {
    /// Connects to the database (waiting for it a while), applies `M`'s
    /// migrations, and binds the gRPC and metrics listeners.
    pub async fn build<M: MigratorTrait>(config: ServiceConfig) -> anyhow::Result<Self> {
        let db = database::connect(
            &config.database_url,
            config.database_max_connections,
            DATABASE_PATIENCE,
        )
        .await?;
        database::migrate::<M>(&db).await?;
        let listener = TcpListener::bind(config.grpc_addr)
            .await
            .with_context(|| format!("binding {}", config.grpc_addr))?;
        let grpc_addr = listener.local_addr()?;
        let metrics = MetricsListener::bind(config.metrics_addr).await?;
        Ok(Self {
            config,
            db,
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

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Serves `api` (reflection over `descriptors`, health checking) and
    /// consumes `topic` with `handler` until `shutdown`. Health says
    /// NOT_SERVING until the broker answers and the topics exist. When the
    /// server or the pipeline fails, the other stops too.
    pub async fn run<S, H>(
        self,
        descriptors: &'static [u8],
        api: S,
        topic: String,
        handler: H,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()>
    where
        S: GrpcService,
        S::Future: Send + 'static,
        H: Handler,
    {
        let config = self.config;
        let (health, health_service) = grpc::health();
        health.set::<S>(false).await;
        let pipeline = Pipeline {
            db: self.db.clone(),
            config: config.messaging.clone(),
            topics: vec![config.payment_requested_topic, config.payment_result_topic],
            consumer: InboxConsumer {
                db: self.db.clone(),
                config: config.messaging,
                topic,
                group: config.consumer_group,
                handler,
            },
        };
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
        let ready = async move { health.set::<S>(true).await };
        let messaging = async {
            let result = pipeline.run(ready, stop.clone()).await;
            stop.cancel();
            result
        };
        let metrics = async {
            let result = self.metrics.serve(stop.clone()).await;
            stop.cancel();
            result
        };
        let (served, messaged, metered) = tokio::join!(server, messaging, metrics);
        self.db.close().await.ok();
        served?;
        metered?;
        messaged.context("messaging pipeline")
    }
}
