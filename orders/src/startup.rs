//! Builds the orders service and runs it until shutdown.

use std::{net::SocketAddr, time::Duration};

use orderflow_messaging::{retention::Retained, service::Host};
use tokio_util::sync::CancellationToken;

use crate::{
    Config,
    changes::OrderChanges,
    db::migration::Migrator,
    grpc::{OrdersApi, OrdersServiceServer},
    ordering::Ordering,
    payment_results::PaymentResults,
    watching::Watching,
};

/// The orders service, ready to run.
pub struct App {
    host: Host,
    watch_max_lifetime: Duration,
}

impl App {
    /// Connects to and migrates the database, and binds the gRPC listener.
    /// The retention sweep also removes idempotency keys past their period.
    pub async fn build(config: impl Into<Config>) -> anyhow::Result<Self> {
        let Config {
            service: mut config,
            watch_max_lifetime,
        } = config.into();
        config.messaging.retained.push(Retained {
            table: orderflow_idempotency::TABLE,
            column: orderflow_idempotency::CREATED_AT,
            period: config.idempotency_retention,
        });
        Ok(Self {
            host: Host::build::<Migrator>(config).await?,
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

    /// Serves the orders API and applies payment results until `shutdown`.
    /// Watches end at `shutdown`, so that the server can stop.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let config = self.host.config().clone();
        let db = self.host.db().clone();
        let watches = shutdown.child_token();
        let api = OrdersApi {
            ordering: Ordering {
                db: db.clone(),
                payment_requested_topic: config.payment_requested_topic,
            },
            watching: Watching {
                changes: OrderChanges::start(db.clone(), watches.clone()),
                db,
                max_lifetime: self.watch_max_lifetime,
                shutdown: watches,
            },
        };
        self.host
            .run(
                orderflow_proto::orders::v1::FILE_DESCRIPTOR_SET,
                OrdersServiceServer::new(api),
                config.payment_result_topic,
                PaymentResults,
                shutdown,
            )
            .await
    }
}
