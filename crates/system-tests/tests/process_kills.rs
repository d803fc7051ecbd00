//! `kill -9` of the real binaries at random moments during a stream of
//! orders, then a restart on the same configuration: clients may see errors,
//! but no accepted order is lost and none is paid twice.

use std::time::Duration;

use orderflow_system_tests::{Dice, ProcessSystem, Setup};

/// Orders per second, for a few seconds: short, but long enough for faults.
const RATE: f64 = 25.0;
const STREAM: Duration = Duration::from_secs(6);
/// How long after the stream every invariant must hold.
const SETTLE_WITHIN: Duration = Duration::from_secs(60);

/// Two moments in the stream of 150 orders, as counts of orders sent: one
/// early, one late, so the second kill comes after the first restart.
fn kill_moments(dice: &mut Dice) -> [usize; 2] {
    [dice.between(10, 40), dice.between(90, 120)].map(|sent| sent as usize)
}

/// Four users with money and one without (their orders are CANCELLED).
async fn users(system: &mut ProcessSystem) -> Vec<String> {
    let mut users = system.open_accounts("payer", 4, 3_000).await;
    users.extend(system.open_accounts("broke", 1, 0).await);
    users
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_killed_at_random_moments_mid_stream_loses_nothing_and_debits_once() {
    let mut system = ProcessSystem::start(Setup::default()).await;
    let users = users(&mut system).await;
    let mut dice = Dice::from_env_or_clock();

    let stream = system.stream_grpc(&users, RATE, STREAM);
    for moment in kill_moments(&mut dice) {
        stream.sent_at_least(moment).await;
        system.payments[0].kill().await;
        tokio::time::sleep(dice.millis(100, 800)).await;
        system.payments[0].start().await;
    }
    let outcome = system.finish(stream).await;

    assert_eq!(outcome.failed, 0, "orders was up: {:?}", outcome.errors);
    let settled = system.assert_invariants(SETTLE_WITHIN).await;
    assert_eq!(settled.finished + settled.cancelled, outcome.accepted.len());
    assert!(settled.finished > 0 && settled.cancelled > 0, "{settled:?}");
    assert_eq!(system.payments[0].starts, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_killed_at_random_moments_mid_stream_fails_some_calls_but_loses_nothing() {
    let mut system = ProcessSystem::start(Setup::default()).await;
    let users = users(&mut system).await;
    let mut dice = Dice::from_env_or_clock();

    let stream = system.stream_grpc(&users, RATE, STREAM);
    for moment in kill_moments(&mut dice) {
        stream.sent_at_least(moment).await;
        system.orders[0].kill().await;
        tokio::time::sleep(dice.millis(100, 800)).await;
        system.orders[0].start().await;
    }
    let outcome = system.finish(stream).await;

    assert!(
        outcome.failed > 0,
        "clients saw no error while orders was down"
    );
    assert!(!outcome.accepted.is_empty());
    // Orders created but not acknowledged before the kill settle too: the
    // check covers every order in the database, not only the accepted ones.
    let settled = system.assert_invariants(SETTLE_WITHIN).await;
    assert!(settled.finished + settled.cancelled >= outcome.accepted.len());
    assert!(settled.finished > 0, "{settled:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_killed_mid_stream_fails_some_requests_but_loses_no_order() {
    let mut system = ProcessSystem::start(Setup {
        gateway: true,
        ..Setup::default()
    })
    .await;
    let users = users(&mut system).await;
    let mut dice = Dice::from_env_or_clock();

    let stream = system.stream_rest(&users, RATE, STREAM);
    for moment in kill_moments(&mut dice) {
        stream.sent_at_least(moment).await;
        let gateway = system.gateway.as_mut().expect("a gateway");
        gateway.kill().await;
        tokio::time::sleep(dice.millis(100, 800)).await;
        gateway.start().await;
    }
    let outcome = system.finish(stream).await;

    assert!(
        outcome.failed > 0,
        "clients saw no error while the gateway was down"
    );
    assert!(!outcome.accepted.is_empty());
    let settled = system.assert_invariants(SETTLE_WITHIN).await;
    assert!(settled.finished + settled.cancelled >= outcome.accepted.len());
    assert!(settled.finished > 0, "{settled:?}");
}
