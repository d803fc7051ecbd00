//! Poison messages lose nothing and wedge nothing.

use std::time::Duration;

use orderflow_messaging::headers;
use orderflow_proto::{events::v1 as events, orders::v1::OrderStatus};
use orderflow_system_tests::{TestSystem, TopicReader, produce};
use prost::Message;

#[tokio::test]
async fn garbage_and_invalid_records_go_to_the_dead_letter_topic_and_later_orders_still_settle() {
    let system = TestSystem::start().await;
    system.open_account("grace", 1_000).await;
    let event_type = [(headers::EVENT_TYPE, events::PAYMENT_REQUESTED)];
    let garbage = b"\xff\xfe definitely not protobuf";
    produce(
        &system.brokers,
        &system.requested_topic,
        "grace",
        garbage,
        &event_type,
    )
    .await;
    let invalid = events::PaymentRequested {
        event_id: uuid::Uuid::new_v4().to_string(),
        order_id: uuid::Uuid::new_v4().to_string(),
        user_id: "grace".into(),
        amount: -5,
        occurred_at: None,
    };
    let invalid = invalid.encode_to_vec();
    produce(
        &system.brokers,
        &system.requested_topic,
        "grace",
        &invalid,
        &event_type,
    )
    .await;

    let order = system.place_order("grace", 250).await;
    let settled = system.wait_until_settled(&order.id).await;
    assert_eq!(settled.status(), OrderStatus::Finished);
    assert_eq!(system.balance("grace").await, 750);

    let dead = TopicReader::new(&system.brokers, &format!("{}.dlq", system.requested_topic))
        .read(2, Duration::from_secs(30))
        .await;
    assert_eq!(dead[0].payload, garbage);
    let reason = dead[0].header(headers::DLQ_ERROR).expect("the reason");
    assert!(reason.contains("not a PaymentRequested"), "{reason}");
    assert!(dead[0].header(headers::DLQ_SOURCE).is_some());
    assert_eq!(dead[1].payload, invalid);
    let reason = dead[1].header(headers::DLQ_ERROR).expect("the reason");
    assert!(reason.contains("amount"), "{reason}");
    let payments =
        TestSystem::count(&system.payments_db, "SELECT count(*) AS n FROM payments").await;
    assert_eq!(payments, 1, "only the real order was paid");
    system.stop().await;
}
