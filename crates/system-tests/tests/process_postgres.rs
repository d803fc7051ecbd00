//! PostgreSQL restarted under the running services (`-m fast` and
//! `-m immediate`): they reconnect by themselves, with no restart of their
//! own, and every order they accepted settles, paid once.

use std::time::Duration;

use orderflow_devstack::Shutdown;
use orderflow_system_tests::{ProcessSystem, Setup, health_status};
use tonic_health::pb::health_check_response::ServingStatus;

async fn system_on_a_private_postgres() -> (ProcessSystem, Vec<String>) {
    let mut system = ProcessSystem::start(Setup {
        private_postgres: true,
        ..Setup::default()
    })
    .await;
    let mut users = system.open_accounts("payer", 4, 3_000).await;
    users.extend(system.open_accounts("broke", 1, 0).await);
    (system, users)
}

async fn restarted_mid_stream_the_services_reconnect(how: Shutdown) {
    let (mut system, users) = system_on_a_private_postgres().await;

    let stream = system.stream_grpc(&users, 20.0, Duration::from_secs(5));
    stream.sent_at_least(25).await;
    system.shut_down_postgres(how).await;
    stream.sent_at_least(stream.sent() + 30).await;
    system.restart_postgres().await;
    let outcome = system.finish(stream).await;

    // Calls made while the database was down failed or waited for it to
    // return, depending on the moment: both are fine; losing one is not.
    assert!(!outcome.accepted.is_empty(), "{:?}", outcome.errors);
    let settled = system.assert_invariants(Duration::from_secs(90)).await;
    assert!(settled.finished + settled.cancelled >= outcome.accepted.len());
    assert!(settled.finished > 0 && settled.cancelled > 0, "{settled:?}");
    // Orders accepted after the restart prove the services reconnected.
    let later = system.stream_grpc(&users, 20.0, Duration::from_secs(1));
    let later = system.finish(later).await;
    assert_eq!(later.failed, 0, "{:?}", later.errors);
    system.assert_invariants(Duration::from_secs(60)).await;
    for service in system.orders.iter_mut().chain(system.payments.iter_mut()) {
        assert!(service.is_running(), "{} died", service.label);
        assert_eq!(service.starts, 1, "{} was restarted", service.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_shut_down_fast_under_the_services_is_survived_without_their_restart() {
    restarted_mid_stream_the_services_reconnect(Shutdown::Fast).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_shut_down_immediately_under_the_services_is_survived_without_their_restart() {
    restarted_mid_stream_the_services_reconnect(Shutdown::Immediate).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_not_serving_while_the_database_is_gone_and_serving_after() {
    let (system, _users) = system_on_a_private_postgres().await;
    let services = [system.orders[0].addr, system.payments[0].addr];

    system.shut_down_postgres(Shutdown::Immediate).await;
    for addr in services {
        let _status = orderflow_system_tests::until(
            &format!("{addr} reports NOT_SERVING without its database"),
            Duration::from_secs(30),
            || health_status(addr),
            |status| *status == Ok(ServingStatus::NotServing),
        )
        .await;
    }
    system.restart_postgres().await;
    for addr in services {
        let _status = orderflow_system_tests::until(
            &format!("{addr} reports SERVING once its database is back"),
            Duration::from_secs(30),
            || health_status(addr),
            |status| *status == Ok(ServingStatus::Serving),
        )
        .await;
    }
}
