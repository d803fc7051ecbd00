//! Kafka killed (`kill -9`) for several seconds in the middle of a stream of
//! orders, then started on the same data: the real services, never
//! restarted, publish and consume what waited, and every order settles once.

use std::time::Duration;

use orderflow_system_tests::{Dice, ProcessSystem, Setup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_killed_for_seconds_mid_stream_then_restarted_loses_nothing() {
    let mut system = ProcessSystem::start(Setup {
        private_kafka: true,
        ..Setup::default()
    })
    .await;
    let mut users = system.open_accounts("payer", 4, 3_000).await;
    users.extend(system.open_accounts("broke", 1, 0).await);
    let mut dice = Dice::from_env_or_clock();

    let stream = system.stream_grpc(&users, 20.0, Duration::from_secs(6));
    stream.sent_at_least(dice.between(15, 40) as usize).await;
    system.kill_kafka().await;
    tokio::time::sleep(dice.millis(3_000, 5_000)).await;
    system.restart_kafka().await;
    let outcome = system.finish(stream).await;

    // Orders are taken into the outbox while the broker is away.
    assert_eq!(outcome.failed, 0, "{:?}", outcome.errors);
    let settled = system.assert_invariants(Duration::from_secs(90)).await;
    assert_eq!(settled.finished + settled.cancelled, outcome.accepted.len());
    assert!(settled.finished > 0 && settled.cancelled > 0, "{settled:?}");
    for service in system.orders.iter_mut().chain(system.payments.iter_mut()) {
        assert!(service.is_running(), "{} died", service.label);
        assert_eq!(service.starts, 1, "{} was restarted", service.label);
    }
}
