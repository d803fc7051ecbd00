//! Builds the payments service and runs it until shutdown.

use std::net::SocketAddr;

use orderflow_messaging::{retention::Retained, service::Host};
use tokio_util::sync::CancellationToken;

use crate::{
    Config,
    accounts::Accounts,
    db::migration::Migrator,
    grpc::{PaymentsApi, PaymentsServiceServer},
    payment_requests::PaymentRequests,
};

/// The payments service, ready to run.
pub struct App {
    host: Host,
}

impl App {
    /// Connects to and migrates the database, and binds the gRPC listener.
    /// The retention sweep also removes idempotency keys past their period.
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        config.messaging.retained.push(Retained {
            table: orderflow_idempotency::TABLE,
            column: orderflow_idempotency::CREATED_AT,
            period: config.idempotency_retention,
        });
        Ok(Self {
            host: Host::build::<Migrator>(config).await?,
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

    /// Serves the payments API and applies payment requests until `shutdown`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let config = self.host.config().clone();
        let api = PaymentsApi {
            accounts: Accounts {
                db: self.host.db().clone(),
            },
        };
        let handler = PaymentRequests {
            result_topic: config.payment_result_topic,
            crash_points: config.crash_points,
        };
        self.host
            .run(
                orderflow_proto::payments::v1::FILE_DESCRIPTOR_SET,
                PaymentsServiceServer::new(api),
                config.payment_requested_topic,
                handler,
                shutdown,
            )
            .await
    }
}
