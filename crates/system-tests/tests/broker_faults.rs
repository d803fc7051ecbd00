//! Kafka stopped, killed or frozen under a stream of orders: once it is back,
//! every order settles, and each is paid exactly once.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use futures::future::join_all;
use orderflow_devstack::{Broker, Controlled};
use orderflow_proto::orders::v1::{Order, OrderStatus};
use orderflow_system_tests::{Options, TestSystem, until};

const AMOUNT: i64 = 100;
const STARTING_BALANCE: i64 = 1_000_000;

/// Both services on a broker of the test's own, which it may hurt, running
/// as they would before a fault: one order has gone through both hops, so
/// both consumers have joined their groups.
async fn system_on_a_private_broker(user: &str) -> (Controlled<Broker>, TestSystem) {
    // Controlled: the broker's blocking calls run on a thread of its own.
    let broker = Controlled::start("Kafka", Broker::start_temporary)
        .await
        .expect("a private broker");
    let system = TestSystem::start_with(Options {
        brokers: Some(broker.run(|broker| broker.bootstrap_servers()).await),
        ..Default::default()
    })
    .await;
    system.open_account(user, STARTING_BALANCE).await;
    let first = system.place_order(user, AMOUNT).await;
    let first = system.wait_until_settled(&first.id).await;
    assert_eq!(first.status(), OrderStatus::Finished);
    (broker, system)
}

/// Places `count` orders for `user`, one every `every`, counting them in `placed`.
async fn stream_orders(
    system: &TestSystem,
    user: &str,
    count: usize,
    every: Duration,
    placed: &AtomicUsize,
) -> Vec<Order> {
    let mut pace = tokio::time::interval(every);
    let mut orders = Vec::with_capacity(count);
    for _ in 0..count {
        pace.tick().await;
        orders.push(system.place_order(user, AMOUNT).await);
        placed.fetch_add(1, Ordering::SeqCst);
    }
    orders
}

/// Waits until at least `count` orders were placed.
async fn placed_at_least(placed: &AtomicUsize, count: usize) {
    until(
        &format!("{count} orders placed"),
        Duration::from_secs(60),
        || async { placed.load(Ordering::SeqCst) },
        |seen| *seen >= count,
    )
    .await;
}

/// Every order FINISHED, one payment each, and the balance down by their sum
/// (counting the one placed before the fault).
async fn assert_all_paid_once(system: &TestSystem, user: &str, orders: &[Order]) {
    let settled = join_all(
        orders
            .iter()
            .map(|order| system.wait_until_settled(&order.id)),
    )
    .await;
    let unfinished: Vec<_> = settled
        .iter()
        .filter(|order| order.status() != OrderStatus::Finished)
        .collect();
    assert!(unfinished.is_empty(), "not FINISHED: {unfinished:?}");
    let payments =
        TestSystem::count(&system.payments_db, "SELECT count(*) AS n FROM payments").await;
    let paid = orders.len() as i64 + 1;
    assert_eq!(payments, paid, "one payment per order");
    assert_eq!(system.balance(user).await, STARTING_BALANCE - AMOUNT * paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_taken_while_the_broker_is_down_all_settle_once_it_is_back() {
    let (broker, system) = system_on_a_private_broker("frank").await;

    broker.run(Broker::stop).await;
    let mut orders = Vec::new();
    for _ in 0..10 {
        orders.push(system.place_order("frank", AMOUNT).await);
    }
    for order in &orders {
        assert_eq!(system.order(&order.id).await.status(), OrderStatus::New);
    }
    broker
        .run(Broker::restart)
        .await
        .expect("the broker restarts");

    assert_all_paid_once(&system, "frank", &orders).await;
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_streaming_in_while_the_broker_is_killed_and_restarted_all_settle() {
    let (broker, system) = system_on_a_private_broker("kim").await;
    let placed = AtomicUsize::new(0);

    let stream = stream_orders(&system, "kim", 90, Duration::from_millis(25), &placed);
    let fault = async {
        placed_at_least(&placed, 30).await;
        broker.run(Broker::kill).await;
        placed_at_least(&placed, 60).await;
        broker
            .run(Broker::restart)
            .await
            .expect("the broker restarts on its data");
    };
    let (orders, ()) = tokio::join!(stream, fault);

    assert_all_paid_once(&system, "kim", &orders).await;
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_rejoin_by_themselves_after_the_broker_was_frozen_past_their_session() {
    let (broker, system) = system_on_a_private_broker("lena").await;
    let placed = AtomicUsize::new(0);
    // The consumers' session.timeout.ms is 10 s; the freeze lasts at least
    // 12 s: 120 orders placed one every 100 ms while it is frozen.
    let every = Duration::from_millis(100);

    let stream = stream_orders(&system, "lena", 150, every, &placed);
    let fault = async {
        placed_at_least(&placed, 15).await;
        broker.run(|broker| broker.freeze()).await.expect("SIGSTOP");
        placed_at_least(&placed, 135).await;
        broker.run(|broker| broker.thaw()).await.expect("SIGCONT");
    };
    let (orders, ()) = tokio::join!(stream, fault);

    assert_all_paid_once(&system, "lena", &orders).await;
    system.stop().await;
}
