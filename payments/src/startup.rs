//! Builds the payments service and runs it until shutdown.

use std::net::SocketAddr;

use orderflow_host::Host;
use orderflow_messaging::{Consume, Topics, retention::Retained};
use orderflow_runtime::crash::CrashPoints;
use tokio_util::sync::CancellationToken;

use crate::{
    Config,
    accounts::Accounts,
    config,
    db::migration::Migrator,
    grpc::{PaymentsApi, PaymentsServiceServer},
    payment_requests::PaymentRequests,
};

/// The payments service, ready to run.
pub struct App {
    host: Host,
    topics: config::Topics,
    consumer_group: String,
    crash_points: CrashPoints,
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
            topics,
            consumer_group,
            idempotency_retention,
            crash_points,
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
            crash_points,
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

    /// Serves the payments API, applies payment requests and publishes
    /// their results until `shutdown`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let api = PaymentsApi {
            accounts: Accounts {
                db: self.host.db().clone(),
            },
        };
        let handler = PaymentRequests {
            result_topic: self.topics.payment_results.clone(),
            crash_points: self.crash_points,
        };
        let topics = Topics {
            produces: vec![self.topics.payment_results],
            consumes: vec![Consume::new(
                self.topics.payment_requested,
                self.consumer_group,
                handler,
            )],
        };
        self.host
            .run(
                orderflow_proto::payments::v1::FILE_DESCRIPTOR_SET,
                PaymentsServiceServer::new(api),
                topics,
                shutdown,
            )
            .await
    }
}
