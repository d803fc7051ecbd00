//! The services in-process: their configs (a fresh database, unique topics
//! and groups), each started on a task, and how to ask a server for its
//! health.

use std::{net::SocketAddr, time::Duration};

use orderflow_devstack::{TestEnv, unique_name};
use orderflow_host::{HostConfig, config::DatabaseUrl};
use orderflow_messaging::MessagingConfig;
use orderflow_runtime::{crash::CrashPoints, telemetry::TelemetryConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// One running service.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) metrics_addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        match tokio::time::timeout(Duration::from_secs(30), self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => panic!("service failed: {error:#}"),
            Ok(Err(error)) => panic!("service panicked: {error}"),
            Err(_) => panic!("service did not stop within 30 s"),
        }
    }
}

/// An orders config on a fresh database of the shared cluster, with unique
/// topics and group, talking to `brokers`.
pub async fn fresh_orders_config(env: &TestEnv, brokers: &str) -> orders::Config {
    let mut messaging = MessagingConfig::new(brokers);
    messaging.partitions = 2;
    messaging.message_timeout = Duration::from_secs(3);
    orders::Config {
        host: HostConfig {
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: DatabaseUrl::new(fresh_database(env, None, "orders").await),
            database_max_connections: 10,
            health_interval: Duration::from_millis(500),
        },
        messaging,
        telemetry: TelemetryConfig::default(),
        topics: orders::config::Topics {
            payment_requested: unique_name("payments.requested"),
            payment_results: unique_name("payments.results"),
        },
        consumer_group: unique_name("orders"),
        idempotency_retention: Duration::from_secs(86_400),
        watch_max_lifetime: orders::config::WATCH_MAX_LIFETIME,
        crash_points: CrashPoints::default(),
    }
}

/// A payments config beside `orders` (its topics and settings) on a fresh
/// database of the shared cluster, in a group of its own.
pub async fn fresh_payments_config(env: &TestEnv, orders: &orders::Config) -> payments::Config {
    payments_config_on(fresh_database(env, None, "payments").await, orders)
}

/// A payments config beside `orders` on `database_url`, in a group of its own.
pub(crate) fn payments_config_on(
    database_url: String,
    orders: &orders::Config,
) -> payments::Config {
    payments::Config {
        host: HostConfig {
            database_url: DatabaseUrl::new(database_url),
            ..orders.host.clone()
        },
        messaging: orders.messaging.clone(),
        telemetry: TelemetryConfig::default(),
        topics: payments::config::Topics {
            payment_requested: orders.topics.payment_requested.clone(),
            payment_results: orders.topics.payment_results.clone(),
        },
        consumer_group: unique_name("payments"),
        idempotency_retention: orders.idempotency_retention,
        crash_points: CrashPoints::default(),
    }
}

/// An empty database with a unique name on `cluster`, or on the shared one.
pub(crate) async fn fresh_database(env: &TestEnv, cluster: Option<&str>, label: &str) -> String {
    match cluster {
        None => env.fresh_database(label).await,
        Some(cluster) => {
            let name = unique_name(label).replace(['-', '.'], "_");
            orderflow_devstack::ensure_database(cluster, &name).await
        }
    }
    .expect("a fresh database")
}

/// The overall `grpc.health.v1` status of the server at `addr`, or the
/// error that kept it from answering.
pub async fn health_status(addr: SocketAddr) -> Result<ServingStatus, String> {
    let mut health = HealthClient::new(channel(addr));
    let request = HealthCheckRequest {
        service: String::new(),
    };
    match health.check(request).await {
        Ok(response) => Ok(response.get_ref().status()),
        Err(status) => Err(status.to_string()),
    }
}

pub(crate) fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect_lazy()
}

/// Runs a built service on a task until its token is cancelled.
async fn spawn<A, Fut>(
    app: anyhow::Result<A>,
    addrs: impl FnOnce(&A) -> (SocketAddr, SocketAddr),
    run: impl FnOnce(A, CancellationToken) -> Fut,
) -> Running
where
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let app = app.expect("the service starts");
    let (addr, metrics_addr) = addrs(&app);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(app, shutdown.clone()));
    Running {
        addr,
        metrics_addr,
        shutdown,
        task,
    }
}

pub(crate) async fn start_orders(config: orders::Config) -> Running {
    let app = orders::App::build(config).await;
    spawn(
        app,
        |app| (app.grpc_addr(), app.metrics_addr()),
        orders::App::run_until_stopped,
    )
    .await
}

pub(crate) async fn start_payments(config: payments::Config) -> Running {
    let app = payments::App::build(config).await;
    spawn(
        app,
        |app| (app.grpc_addr(), app.metrics_addr()),
        payments::App::run_until_stopped,
    )
    .await
}
