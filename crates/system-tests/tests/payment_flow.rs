//! An order is paid for through Kafka: the outcome for each kind of account.

use futures::future::join_all;
use orderflow_proto::orders::v1::OrderStatus;
use orderflow_system_tests::TestSystem;

#[tokio::test]
async fn an_order_covered_by_the_balance_finishes_and_debits_exactly_its_amount() {
    let system = TestSystem::start().await;
    system.open_account("alice", 10_000).await;

    let order = system.place_order("alice", 2_500).await;
    assert_eq!(order.status(), OrderStatus::New);

    let settled = system.wait_until_settled(&order.id).await;
    assert_eq!(settled.status(), OrderStatus::Finished);
    assert_eq!(settled.failure_reason, "");
    assert_eq!(system.balance("alice").await, 7_500);
    system.stop().await;
}

#[tokio::test]
async fn an_order_above_the_balance_is_cancelled_and_the_balance_kept() {
    let system = TestSystem::start().await;
    system.open_account("bob", 1_000).await;

    let order = system.place_order("bob", 1_001).await;
    let settled = system.wait_until_settled(&order.id).await;

    assert_eq!(settled.status(), OrderStatus::Cancelled);
    assert_eq!(settled.failure_reason, "INSUFFICIENT_FUNDS");
    assert_eq!(system.balance("bob").await, 1_000);
    system.stop().await;
}

#[tokio::test]
async fn an_order_without_an_account_is_cancelled() {
    let system = TestSystem::start().await;

    let order = system.place_order("nobody", 100).await;
    let settled = system.wait_until_settled(&order.id).await;

    assert_eq!(settled.status(), OrderStatus::Cancelled);
    assert_eq!(settled.failure_reason, "ACCOUNT_NOT_FOUND");
    system.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_orders_spend_exactly_what_the_balance_covers() {
    let system = TestSystem::start().await;
    system.open_account("carol", 20 * 300).await;

    let orders = join_all((0..50).map(|_| system.place_order("carol", 300))).await;
    let mut finished = 0;
    let mut cancelled = 0;
    for order in &orders {
        let settled = system.wait_until_settled(&order.id).await;
        match settled.status() {
            OrderStatus::Finished => finished += 1,
            OrderStatus::Cancelled => {
                assert_eq!(settled.failure_reason, "INSUFFICIENT_FUNDS");
                cancelled += 1;
            }
            other => panic!("order {} ended {other:?}", order.id),
        }
    }

    assert_eq!((finished, cancelled), (20, 30));
    assert_eq!(system.balance("carol").await, 0);
    let debited = TestSystem::count(
        &system.payments_db,
        "SELECT coalesce(sum(amount), 0)::bigint AS n FROM payments WHERE status = 'SUCCEEDED'",
    )
    .await;
    assert_eq!(debited, 20 * 300);
    system.stop().await;
}
