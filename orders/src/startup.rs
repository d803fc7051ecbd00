//! Builds the orders service and runs it until shutdown.

use std::{net::SocketAddr, time::Duration};

use orderflow_host::Host;
use orderflow_messaging::{Consume, Topics, retention::Retained};
use tokio_util::sync::CancellationToken;

use crate::{
    Config,
    changes::OrderChanges,
    config,
    db::migration::Migrator,
    grpc::{OrdersApi, OrdersServiceServer},
    ordering::Ordering,
    payment_results::PaymentResults,
    watching::Watching,
};

/// The orders service, ready to run.
pub struct App {
    host: Host,
    topics: config::Topics,
    consumer_group: String,
    watch_max_lifetime: Duration,
}

impl App {
    /// Binds the gRPC and metrics listeners; the database is migrated once
    /// the app runs. The retention sweep also removes idempotency keys past
    /// their period.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let Config {
            host,
            mut messaging,
            telemetry: _,
            crash_points: _,
            topics,
            consumer_group,
            idempotency_retention,
            watch_max_lifetime,
        } = config;
        messaging.retained.push(Retained {
            table: orderflow_idempotency::TABLE,
            column: orderflow_idempotency::CREATED_AT,
            period: idempotency_retention,
        });
        Ok(Self {
            host: Host::build::<Migrator>(host, messaging).await?,
            topics,
            consumer_group,
            watch_max_lifetime,
        })
    }

    /// The address the gRPC server listens on.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.host.grpc_addr()
    }

    /// The address `GET /metrics` answers on.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.host.metrics_addr()
    }

    /// Serves the orders API, publishes payment requests and applies
    /// payment results until `shutdown`. Watches end at `shutdown`, so that
    /// the server can stop.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let db = self.host.db().clone();
        let watches = shutdown.child_token();
        let api = OrdersApi {
            ordering: Ordering {
                db: db.clone(),
                payment_requested_topic: self.topics.payment_requested.clone(),
            },
            watching: Watching {
                changes: OrderChanges::start(db.clone(), watches.clone()),
                db,
                max_lifetime: self.watch_max_lifetime,
                shutdown: watches,
            },
        };
        let topics = Topics {
            produces: vec![self.topics.payment_requested],
            consumes: vec![Consume::new(
                self.topics.payment_results,
                self.consumer_group,
                PaymentResults,
            )],
        };
        self.host
            .run(
                orderflow_proto::orders::v1::FILE_DESCRIPTOR_SET,
                OrdersServiceServer::new(api),
                topics,
                shutdown,
            )
            .await
    }
}
