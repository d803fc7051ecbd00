//! Poison messages lose nothing and wedge nothing.

use std::time::Duration;

use orderflow_messaging::headers;
use orderflow_proto::{events::v1 as events, orders::v1::OrderStatus};
use orderflow_system_tests::{TestSystem, TopicReader, contract_headers, produce};
use prost::Message;
use uuid::Uuid;

#[tokio::test]
async fn garbage_and_invalid_records_go_to_the_dead_letter_topic_and_later_orders_still_settle() {
    let system = TestSystem::start().await;
    system.open_account("grace", 1_000).await;
    let garbage = b"\xff\xfe definitely not protobuf";
    produce(
        &system.brokers,
        &system.requested_topic,
        "grace",
        garbage,
        &contract_headers(&uuid::Uuid::new_v4().to_string(), events::PAYMENT_REQUESTED),
    )
    .await;
    let invalid_id = uuid::Uuid::new_v4().to_string();
    let invalid = events::PaymentRequested {
        event_id: invalid_id.clone(),
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
        &contract_headers(&invalid_id, events::PAYMENT_REQUESTED),
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

#[tokio::test]
async fn records_without_an_event_type_header_are_dead_lettered_not_applied() {
    let system = TestSystem::start().await;
    system.open_account("heidi", 1_000).await;
    let request = events::PaymentRequested {
        event_id: Uuid::new_v4().to_string(),
        order_id: Uuid::new_v4().to_string(),
        user_id: "heidi".into(),
        amount: 400,
        occurred_at: None,
    };
    let result = events::PaymentResult {
        event_id: Uuid::new_v4().to_string(),
        order_id: Uuid::new_v4().to_string(),
        user_id: "heidi".into(),
        amount: 400,
        status: events::PaymentStatus::Succeeded.into(),
        failure_reason: events::FailureReason::Unspecified.into(),
        occurred_at: None,
    };
    let sent = [
        (
            &system.requested_topic,
            request.event_id.clone(),
            request.encode_to_vec(),
        ),
        (
            &system.result_topic,
            result.event_id.clone(),
            result.encode_to_vec(),
        ),
    ];
    for (topic, event_id, payload) in &sent {
        let without_type = [
            (headers::EVENT_ID, event_id.as_str()),
            (headers::CONTENT_TYPE, headers::PROTOBUF),
        ];
        produce(&system.brokers, topic, "heidi", payload, &without_type).await;
    }

    for (topic, _, payload) in &sent {
        let dead = TopicReader::new(&system.brokers, &format!("{topic}.dlq"))
            .read(1, Duration::from_secs(30))
            .await;
        assert_eq!(&dead[0].payload, payload);
        let reason = dead[0].header(headers::DLQ_ERROR).expect("the reason");
        assert!(reason.contains(headers::EVENT_TYPE), "{reason}");
    }
    assert_eq!(system.balance("heidi").await, 1_000, "nothing was debited");
    let inbox = "SELECT count(*) AS n FROM inbox";
    assert_eq!(TestSystem::count(&system.payments_db, inbox).await, 0);
    assert_eq!(TestSystem::count(&system.orders_db, inbox).await, 0);
    system.stop().await;
}
