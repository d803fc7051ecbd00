//! `WatchOrder` against the real orders and payments services (real
//! PostgreSQL and Kafka): the order's state now, then each change, until it
//! is final, woken by the database's notifications.

use std::time::{Duration, Instant};

use futures::future::join_all;
use orderflow_devstack::unique_name;
use orderflow_proto::orders::v1::{
    GetOrderRequest, Order, OrderStatus, WatchOrderRequest, WatchOrderResponse,
    orders_service_client::OrdersServiceClient,
};
use orderflow_system_tests::TestSystem;
use sea_orm::ConnectionTrait;
use tonic::{Code, Streaming};

/// How long a watched order may take to settle once payments runs.
const SETTLE: Duration = Duration::from_secs(60);

async fn watch(
    system: &TestSystem,
    id: &str,
) -> Result<Streaming<WatchOrderResponse>, tonic::Status> {
    let request = WatchOrderRequest { id: id.into() };
    Ok(system
        .orders
        .clone()
        .watch_order(request)
        .await?
        .into_inner())
}

/// The next state, or `None` when the stream ended; panics on an error or
/// after `within`.
async fn next_state(stream: &mut Streaming<WatchOrderResponse>, within: Duration) -> Option<Order> {
    let message = tokio::time::timeout(within, stream.message())
        .await
        .unwrap_or_else(|_| panic!("no state and no end within {within:?}"))
        .expect("the stream does not fail");
    message.map(|response| response.order.expect("every message has an order"))
}

/// Every state until the stream ends.
async fn rest(stream: &mut Streaming<WatchOrderResponse>, within: Duration) -> Vec<Order> {
    let mut states = Vec::new();
    while let Some(order) = next_state(stream, within).await {
        states.push(order);
    }
    states
}

fn statuses(states: &[Order]) -> Vec<OrderStatus> {
    states.iter().map(Order::status).collect()
}

#[tokio::test]
async fn a_watcher_sees_new_then_finished_and_the_stream_ends() {
    let mut system = TestSystem::start().await;
    let alice = unique_name("alice");
    system.open_account(&alice, 10_000).await;
    system.pause_payments().await;
    let order = system.place_order(&alice, 1250).await;

    let mut stream = watch(&system, &order.id).await.expect("watching");
    let first = next_state(&mut stream, SETTLE)
        .await
        .expect("the current state");
    assert_eq!(first.status(), OrderStatus::New);
    system.resume_payments().await;
    let later = rest(&mut stream, SETTLE).await;

    assert_eq!(statuses(&later), [OrderStatus::Finished], "{later:#?}");
    // The change came with its notification: the whole order as stored,
    // its time of change included.
    assert_eq!(later[0], system.order(&order.id).await);
    assert_ne!(later[0].updated_at, first.updated_at);
    system.stop().await;
}

#[tokio::test]
async fn a_watcher_sees_new_then_cancelled_with_its_reason() {
    let mut system = TestSystem::start().await;
    let bob = unique_name("bob");
    system.open_account(&bob, 100).await;
    system.pause_payments().await;
    let order = system.place_order(&bob, 1250).await;

    let mut stream = watch(&system, &order.id).await.expect("watching");
    let first = next_state(&mut stream, SETTLE)
        .await
        .expect("the current state");
    assert_eq!(first.status(), OrderStatus::New);
    system.resume_payments().await;
    let later = rest(&mut stream, SETTLE).await;

    assert_eq!(statuses(&later), [OrderStatus::Cancelled], "{later:#?}");
    assert_eq!(later[0].failure_reason, "INSUFFICIENT_FUNDS");
    assert_eq!(later[0], system.order(&order.id).await);
    system.stop().await;
}

#[tokio::test]
async fn a_watcher_applies_the_change_its_notification_carries_without_reading_the_order_again() {
    let mut system = TestSystem::start().await;
    let erin = unique_name("erin");
    system.open_account(&erin, 10_000).await;
    system.pause_payments().await;
    let order = system.place_order(&erin, 1250).await;
    let mut stream = watch(&system, &order.id).await.expect("watching");
    next_state(&mut stream, SETTLE)
        .await
        .expect("the current state");

    // Behind the service's back: the status changes, and so does a field
    // that never changes otherwise. Only a watcher that read the order
    // again would see the second.
    let statement = format!(
        "UPDATE orders SET status = 'CANCELLED', failure_reason = 'ACCOUNT_NOT_FOUND', \
         updated_at = '2026-12-05T03:04:05.678901Z', description = 'changed unannounced' \
         WHERE id = '{}'",
        order.id
    );
    system
        .orders_db
        .execute_unprepared(&statement)
        .await
        .expect("updating the order");
    let later = rest(&mut stream, SETTLE).await;

    assert_eq!(statuses(&later), [OrderStatus::Cancelled], "{later:#?}");
    assert_eq!(later[0].failure_reason, "ACCOUNT_NOT_FOUND");
    assert_eq!(
        later[0].updated_at.map(|at| (at.seconds, at.nanos)),
        Some((1_796_439_845, 678_901_000))
    );
    assert_eq!(later[0].description, order.description);
    system.resume_payments().await;
    system.stop().await;
}

#[tokio::test]
async fn a_watcher_that_comes_after_the_end_gets_the_final_state_at_once() {
    let system = TestSystem::start().await;
    let carol = unique_name("carol");
    system.open_account(&carol, 10_000).await;
    let order = system.place_order(&carol, 1250).await;
    system.wait_until_settled(&order.id).await;

    let mut stream = watch(&system, &order.id).await.expect("watching");
    let states = rest(&mut stream, Duration::from_secs(2)).await;

    assert_eq!(statuses(&states), [OrderStatus::Finished], "{states:#?}");
    system.stop().await;
}

#[tokio::test]
async fn watching_an_unknown_order_is_not_found_and_a_bad_id_is_invalid() {
    let system = TestSystem::start().await;

    let unknown = watch(&system, &uuid::Uuid::new_v4().to_string()).await;
    let bad = watch(&system, "not-a-uuid").await;

    assert_eq!(unknown.expect_err("no such order").code(), Code::NotFound);
    assert_eq!(bad.expect_err("not a UUID").code(), Code::InvalidArgument);
    system.stop().await;
}

#[tokio::test]
async fn two_hundred_watchers_share_the_pool_and_all_see_their_final_state() {
    const WATCHERS: usize = 200;
    let mut system = TestSystem::start().await;
    let dave = unique_name("dave");
    system.open_account(&dave, 100 * WATCHERS as i64).await;
    system.pause_payments().await;
    let mut orders = Vec::with_capacity(WATCHERS);
    for _ in 0..WATCHERS {
        orders.push(system.place_order(&dave, 100).await);
    }

    // All 200 at once, each first told its order is NEW.
    let mut streams = join_all(orders.iter().map(|order| async {
        let mut stream = watch(&system, &order.id).await.expect("watching");
        let first = next_state(&mut stream, SETTLE)
            .await
            .expect("the current state");
        assert_eq!(first.status(), OrderStatus::New);
        stream
    }))
    .await;

    // While they wait, the pool (10 connections) still serves a plain read
    // at once, on a connection of its own.
    let mut reader = OrdersServiceClient::connect(format!("http://{}", system.orders_addr))
        .await
        .expect("a second connection");
    let started = Instant::now();
    reader
        .get_order(GetOrderRequest {
            id: orders[0].id.clone(),
        })
        .await
        .expect("GetOrder answers while 200 watch");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "GetOrder took {took:?}");

    system.resume_payments().await;
    let finals = join_all(streams.iter_mut().map(|stream| rest(stream, SETTLE))).await;
    for (order, states) in orders.iter().zip(&finals) {
        assert_eq!(
            statuses(states),
            [OrderStatus::Finished],
            "order {}",
            order.id
        );
    }
    system.stop().await;
}
