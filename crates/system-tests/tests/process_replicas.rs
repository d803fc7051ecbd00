//! Two replicas of each service in one consumer group; one of each is
//! killed (`kill -9`) mid-stream: the survivors take over the partitions
//! (a rebalance) and every order still settles, paid once.

use std::time::Duration;

use orderflow_system_tests::{ProcessSystem, Setup, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_of_each_service_killed_mid_stream_hands_its_partitions_over() {
    let mut system = ProcessSystem::start(Setup {
        replicas: 2,
        ..Setup::default()
    })
    .await;
    let mut users = system.open_accounts("payer", 6, 3_000).await;
    users.extend(system.open_accounts("broke", 1, 0).await);

    let stream = system.stream_grpc(&users, 25.0, Duration::from_secs(4));
    // Both payments replicas hold a partition: the one to be killed pays too.
    eventually(
        "payments-1 pays orders",
        Duration::from_secs(30),
        || async {
            let log = system.payments[1].log_text();
            match log.contains("payment settled") {
                true => Ok(()),
                false => Err("no payment in payments-1's log yet".to_owned()),
            }
        },
    )
    .await;
    system.orders[1].kill().await;
    system.payments[1].kill().await;
    // More orders after the kill, to both orders replicas in turn: half of
    // them reach the dead one and fail; the rest are paid by payments-0.
    let after = system.stream_grpc(&users, 25.0, Duration::from_secs(2));
    let outcome = system.finish(stream).await;
    let after = system.finish(after).await;

    assert!(after.failed > 0, "no call reached the killed replica");
    assert!(!after.accepted.is_empty(), "{:?}", after.errors);
    let settled = system.assert_invariants(Duration::from_secs(90)).await;
    let accepted = outcome.accepted.len() + after.accepted.len();
    assert!(settled.finished + settled.cancelled >= accepted);
    assert!(settled.finished > 0 && settled.cancelled > 0, "{settled:?}");
    assert!(system.orders[0].is_running() && system.payments[0].is_running());
}
