//! `GET /api/orders/{id}/events`: an order's states as Server-Sent Events,
//! through the real gateway, orders and payments.

use std::time::Duration;

use gateway::Config;

use crate::{
    helpers::{SETTLE_DEADLINE, TestGateway, unique_user},
    sse::{EventStream, Frame},
};

#[tokio::test]
async fn the_events_of_an_order_are_new_then_finished_then_the_stream_closes() {
    let mut gateway = TestGateway::start().await;
    let user = unique_user("sse");
    gateway.funded_account(&user, 10_000).await;
    gateway.system_mut().pause_payments().await;
    let order = gateway
        .create_order(&user, 1250, "watched")
        .await
        .expect(202)
        .clone();
    let id = order["id"].as_str().expect("an id");

    let mut events = EventStream::open(&gateway.url(&format!("/api/orders/{id}/events"))).await;
    assert_eq!(events.status, 200);
    assert!(
        events.content_type.starts_with("text/event-stream"),
        "{}",
        events.content_type
    );
    let (kind, first) = events
        .next_event(SETTLE_DEADLINE)
        .await
        .expect("the current state");
    assert_eq!(kind, None, "a plain message event");
    assert_eq!(first, order, "the same JSON as GET /api/orders/{{id}}");

    gateway.system_mut().resume_payments().await;
    let (_, last) = events
        .next_event(SETTLE_DEADLINE)
        .await
        .expect("the final state");
    assert_eq!(last["status"], "FINISHED");
    assert_eq!(last, *gateway.get_order(id).await.expect(200));
    assert_eq!(
        events.next_event(Duration::from_secs(5)).await,
        None,
        "closed after the final state"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn the_events_of_an_unknown_order_are_a_404_problem() {
    let gateway = TestGateway::start().await;

    let answer = gateway
        .get(&format!("/api/orders/{}/events", uuid::Uuid::new_v4()))
        .await;

    answer.problem(404, "NOT_FOUND");
    gateway.stop().await;
}

#[tokio::test]
async fn a_waiting_event_stream_sends_heartbeat_comments() {
    let mut gateway = TestGateway::start_with(Config {
        sse_heartbeat: Duration::from_millis(100),
        ..Config::local()
    })
    .await;
    let user = unique_user("beat");
    gateway.funded_account(&user, 10_000).await;
    gateway.system_mut().pause_payments().await;
    let order = gateway
        .create_order(&user, 1250, "waiting")
        .await
        .expect(202)
        .clone();
    let id = order["id"].as_str().expect("an id");

    let mut events = EventStream::open(&gateway.url(&format!("/api/orders/{id}/events"))).await;
    let first = events.next(SETTLE_DEADLINE).await;
    let second = events.next(Duration::from_secs(2)).await;
    let third = events.next(Duration::from_secs(2)).await;

    assert!(matches!(first, Some(Frame::Event { .. })), "{first:?}");
    assert_eq!(second, Some(Frame::Comment("heartbeat".into())));
    assert_eq!(third, Some(Frame::Comment("heartbeat".into())));
    gateway.stop().await;
}

#[tokio::test]
async fn an_event_stream_closes_at_the_end_of_its_lifetime() {
    let mut gateway = TestGateway::start_with(Config {
        sse_max_lifetime: Duration::from_secs(1),
        ..Config::local()
    })
    .await;
    let user = unique_user("expiry");
    gateway.funded_account(&user, 10_000).await;
    gateway.system_mut().pause_payments().await;
    let order = gateway
        .create_order(&user, 1250, "forever new")
        .await
        .expect(202)
        .clone();
    let id = order["id"].as_str().expect("an id");

    let mut events = EventStream::open(&gateway.url(&format!("/api/orders/{id}/events"))).await;
    let (_, first) = events
        .next_event(SETTLE_DEADLINE)
        .await
        .expect("the current state");

    assert_eq!(first["status"], "NEW");
    assert_eq!(
        events.next_event(Duration::from_secs(5)).await,
        None,
        "closed after 1 s"
    );
    gateway.stop().await;
}
