//! Builds the orders service (database migrated, listener bound) and runs
//! its gRPC server beside its messaging pipeline until shutdown.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context;
use orderflow_messaging::{consumer::InboxConsumer, database, pipeline::Pipeline};
use orderflow_proto::FILE_DESCRIPTOR_SET;
use orderflow_runtime::grpc;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    Config,
    db::migration::Migrator,
    grpc::{OrdersApi, OrdersServiceServer},
    ordering::Ordering,
    payment_results::PaymentResults,
};

/// How long start-up waits for the database.
const DATABASE_PATIENCE: Duration = Duration::from_secs(60);

/// The orders service, ready to run.
pub struct App {
    config: Config,
    db: DatabaseConnection,
    listener: TcpListener,
    grpc_addr: SocketAddr,
}

impl App {
    /// Connects to and migrates the database, and binds the gRPC listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = database::connect(
            &config.database_url,
            config.database_max_connections,
            DATABASE_PATIENCE,
        )
        .await?;
        Migrator::up(&db, None)
            .await
            .context("migrating the orders database")?;
        let listener = TcpListener::bind(config.grpc_addr)
            .await
            .with_context(|| format!("binding {}", config.grpc_addr))?;
        let grpc_addr = listener.local_addr()?;
        Ok(Self {
            config,
            db,
            listener,
            grpc_addr,
        })
    }

    /// The address the gRPC server listens on.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// Serves until `shutdown`: health says NOT_SERVING until the topics
    /// exist (the broker answers), then SERVING.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let config = self.config;
        let (health, health_service) = grpc::health();
        health.set::<OrdersServiceServer<OrdersApi>>(false).await;
        let api = OrdersApi {
            ordering: Ordering {
                db: self.db.clone(),
                payment_requested_topic: config.payment_requested_topic.clone(),
            },
        };
        let pipeline = Pipeline {
            db: self.db.clone(),
            config: config.messaging.clone(),
            topics: vec![
                config.payment_requested_topic.clone(),
                config.payment_result_topic.clone(),
            ],
            consumer: InboxConsumer {
                db: self.db.clone(),
                config: config.messaging.clone(),
                topic: config.payment_result_topic.clone(),
                group: config.consumer_group.clone(),
                handler: PaymentResults,
            },
        };
        let stop = shutdown.child_token();
        let server = grpc::serve(
            self.listener,
            FILE_DESCRIPTOR_SET,
            health_service,
            OrdersServiceServer::new(api),
            stop.clone(),
        );
        let ready = async move { health.set::<OrdersServiceServer<OrdersApi>>(true).await };
        let messaging = async {
            let result = pipeline.run(ready, stop.clone()).await;
            stop.cancel();
            result
        };
        let (served, messaged) = tokio::join!(server, messaging);
        self.db.close().await.ok();
        served?;
        messaged.context("messaging pipeline")
    }
}
