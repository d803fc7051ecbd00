//! Redelivery, duplicates and crashes never debit an order twice.

use std::time::Duration;

use orderflow_proto::{events::v1 as events, orders::v1::OrderStatus};
use orderflow_runtime::crash::CrashPoints;
use orderflow_system_tests::{TestSystem, contract_headers, eventually, produce, until_in_inbox};
use payments::payment_requests::AFTER_INBOX_INSERT;
use prost::Message;

#[tokio::test]
async fn a_payment_request_delivered_six_times_debits_once_and_answers_once() {
    let system = TestSystem::start().await;
    system.open_account("dave", 1_000).await;
    let order = system.place_order("dave", 400).await;
    system.wait_until_settled(&order.id).await;

    // The request orders published, sent five more times, then once more
    // under a new event id for the same order.
    let request = system.published_request(&order.id).await;
    let event_id = request.event_id.clone();
    for _ in 0..5 {
        system.redeliver(&request).await;
    }
    let mut renamed = request.clone();
    renamed.event_id = uuid::Uuid::new_v4().to_string();
    system.redeliver(&renamed).await;

    // Same key, same partition: once the last one is in the inbox, all were handled.
    until_in_inbox(&system.payments_db, &renamed.event_id).await;
    let count = |sql: &'static str| TestSystem::count(&system.payments_db, sql);
    assert_eq!(system.balance("dave").await, 600, "one debit of 400");
    assert_eq!(count("SELECT count(*) AS n FROM payments").await, 1);
    assert_eq!(
        count("SELECT count(*) AS n FROM outbox").await,
        1,
        "one PaymentResult"
    );
    assert_eq!(
        count("SELECT count(*) AS n FROM inbox").await,
        2,
        "two distinct event ids"
    );
    assert_ne!(event_id, renamed.event_id);
    assert_eq!(
        system.order(&order.id).await.status(),
        OrderStatus::Finished
    );
    system.stop().await;
}

#[tokio::test]
async fn a_crash_after_the_inbox_insert_leaves_nothing_half_done_and_redelivery_pays_once() {
    let crash = CrashPoints::parse(&format!("{AFTER_INBOX_INSERT}:always")).unwrap();
    let mut system = TestSystem::start_with(orderflow_system_tests::Options {
        payments_crash_points: crash.clone(),
        ..Default::default()
    })
    .await;
    system.open_account("erin", 1_000).await;
    let order = system.place_order("erin", 700).await;

    eventually("the crash point fires", Duration::from_secs(30), || {
        let fired = crash.fired(AFTER_INBOX_INSERT);
        async move {
            if fired >= 2 {
                Ok(())
            } else {
                Err(format!("fired {fired} times"))
            }
        }
    })
    .await;
    let count = |sql: &'static str| TestSystem::count(&system.payments_db, sql);
    assert_eq!(
        count("SELECT count(*) AS n FROM inbox").await,
        0,
        "inbox insert rolled back"
    );
    assert_eq!(count("SELECT count(*) AS n FROM payments").await, 0);
    assert_eq!(count("SELECT count(*) AS n FROM outbox").await, 0);
    assert_eq!(system.balance("erin").await, 1_000);
    assert_eq!(system.order(&order.id).await.status(), OrderStatus::New);

    // The process "restarts" without the fault: Kafka delivers the request again.
    system.restart_payments(CrashPoints::default()).await;
    let settled = system.wait_until_settled(&order.id).await;

    assert_eq!(settled.status(), OrderStatus::Finished);
    assert_eq!(system.balance("erin").await, 300);
    let count = |sql: &'static str| TestSystem::count(&system.payments_db, sql);
    assert_eq!(count("SELECT count(*) AS n FROM payments").await, 1);
    assert_eq!(count("SELECT count(*) AS n FROM outbox").await, 1);
    system.stop().await;
}

#[tokio::test]
async fn a_late_result_for_a_settled_order_changes_nothing() {
    let system = TestSystem::start().await;
    system.open_account("faye", 1_000).await;
    let order = system.place_order("faye", 100).await;
    let finished = system.wait_until_settled(&order.id).await;
    assert_eq!(finished.status(), OrderStatus::Finished);

    let late = events::PaymentResult {
        event_id: uuid::Uuid::new_v4().to_string(),
        order_id: order.id.clone(),
        user_id: "faye".into(),
        amount: 100,
        status: events::PaymentStatus::Failed.into(),
        failure_reason: events::FailureReason::InsufficientFunds.into(),
        occurred_at: None,
    };
    produce(
        &system.brokers,
        &system.result_topic,
        "faye",
        &late.encode_to_vec(),
        &contract_headers(&late.event_id, events::PAYMENT_RESULT),
    )
    .await;
    until_in_inbox(&system.orders_db, &late.event_id).await;
    let now = system.order(&order.id).await;
    assert_eq!(now.status(), OrderStatus::Finished);
    assert_eq!(now.failure_reason, "");
    assert_eq!(now.updated_at, finished.updated_at);
    system.stop().await;
}
