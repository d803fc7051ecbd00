//! SIGTERM stops a service gracefully in the middle of a stream of orders:
//! it exits with status 0 within its grace period (Compose's default, 10 s),
//! and once it is started again nothing it had taken is lost.

use std::time::{Duration, Instant};

use orderflow_system_tests::{ProcessSystem, ServiceProcess, Setup};

/// How long an orchestrator waits after SIGTERM before it kills.
const GRACE: Duration = Duration::from_secs(10);

/// SIGTERM, a clean exit within [`GRACE`], then a start on the same config.
async fn terminate_and_start_again(service: &mut ServiceProcess) {
    let asked = Instant::now();
    let status = service.terminate(GRACE).await;
    let took = asked.elapsed();
    let status = status.unwrap_or_else(|| {
        panic!(
            "{} still ran {GRACE:?} after SIGTERM:\n{}",
            service.label,
            service.log_tail(20)
        )
    });
    assert!(status.success(), "{} exited with {status}", service.label);
    eprintln!("{} stopped in {took:?} after SIGTERM", service.label);
    service.start().await;
}

async fn users(system: &mut ProcessSystem) -> Vec<String> {
    let mut users = system.open_accounts("payer", 4, 3_000).await;
    users.extend(system.open_accounts("broke", 1, 0).await);
    users
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_orders_and_payments_mid_stream_cleanly_and_loses_nothing() {
    let mut system = ProcessSystem::start(Setup::default()).await;
    let users = users(&mut system).await;

    let stream = system.stream_grpc(&users, 25.0, Duration::from_secs(5));
    stream.sent_at_least(25).await;
    terminate_and_start_again(&mut system.payments[0]).await;
    stream.sent_at_least(stream.sent() + 20).await;
    terminate_and_start_again(&mut system.orders[0]).await;
    let outcome = system.finish(stream).await;

    let settled = system.assert_invariants(Duration::from_secs(60)).await;
    assert!(settled.finished + settled.cancelled >= outcome.accepted.len());
    assert!(settled.finished > 0 && settled.cancelled > 0, "{settled:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_gateway_mid_stream_cleanly_and_loses_no_order() {
    let mut system = ProcessSystem::start(Setup {
        gateway: true,
        ..Setup::default()
    })
    .await;
    let users = users(&mut system).await;

    let stream = system.stream_rest(&users, 25.0, Duration::from_secs(3));
    stream.sent_at_least(25).await;
    terminate_and_start_again(system.gateway.as_mut().expect("a gateway")).await;
    let outcome = system.finish(stream).await;

    assert!(!outcome.accepted.is_empty());
    let settled = system.assert_invariants(Duration::from_secs(60)).await;
    assert!(settled.finished + settled.cancelled >= outcome.accepted.len());
}

/// With Kafka killed and PostgreSQL gone, a graceful stop cannot finish
/// (closing a consumer waits for a broker that never answers): a service
/// still exits within its grace, so an orchestrator never has to kill it,
/// and its parent-death SIGTERM never leaves it running on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_service_within_its_grace_even_with_kafka_and_postgres_gone() {
    let mut system = ProcessSystem::start(Setup {
        private_kafka: true,
        private_postgres: true,
        ..Setup::default()
    })
    .await;
    let users = users(&mut system).await;
    let stream = system.stream_grpc(&users, 25.0, Duration::from_secs(2));
    stream.sent_at_least(10).await;
    system.kill_kafka().await;
    system
        .shut_down_postgres(orderflow_devstack::Shutdown::Immediate)
        .await;
    let _outcome = system.finish(stream).await;

    for service in [&mut system.payments[0], &mut system.orders[0]] {
        let asked = Instant::now();
        let status = service.terminate(GRACE).await;
        assert!(
            status.is_some(),
            "{} still ran {GRACE:?} after SIGTERM without its dependencies:\n{}",
            service.label,
            service.log_tail(20)
        );
        eprintln!(
            "{} exited ({status:?}) {:?} after SIGTERM without its dependencies",
            service.label,
            asked.elapsed()
        );
    }
}
