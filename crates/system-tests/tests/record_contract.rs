//! What the README promises about the records the relays publish: the
//! contract headers and the user id as key, checked on records read back
//! from the topics with a raw consumer; and the W3C trace context a client
//! sends carried into the outbox row and the record headers, with telemetry
//! set up as the binaries do when no OTLP endpoint is configured.

use std::{sync::OnceLock, time::Duration};

use orderflow_proto::{
    events::v1::{self as events, PaymentStatus},
    orders::v1::{CreateOrderRequest, OrderStatus},
};
use orderflow_system_tests::{Record, TestSystem, TopicReader};
use prost::Message;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// Telemetry as `main` installs it, once per test process, with no OTLP
/// endpoint: spans get ids and propagate, nothing is exported.
fn telemetry_without_exporter() {
    static GUARD: OnceLock<orderflow_runtime::telemetry::Guard> = OnceLock::new();
    assert!(
        std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none(),
        "these specs are about running without an exporter"
    );
    GUARD.get_or_init(|| {
        orderflow_runtime::telemetry::init("system-tests", "0").expect("telemetry installs")
    });
}

/// The trace id and parent span id of a W3C `traceparent`
/// (`00-<trace id>-<span id>-<flags>`).
fn trace_and_span(traceparent: &str) -> (&str, &str) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "a traceparent: {traceparent}");
    assert_eq!(parts[1].len(), 32, "a trace id: {traceparent}");
    assert_eq!(parts[2].len(), 16, "a span id: {traceparent}");
    (parts[1], parts[2])
}

fn header<'a>(record: &'a Record, name: &str) -> &'a str {
    record
        .header(name)
        .unwrap_or_else(|| panic!("header {name} on {record:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn published_records_carry_the_documented_headers_and_the_user_id_as_key() {
    telemetry_without_exporter();
    let system = TestSystem::start().await;
    system.open_account("rec-ivy", 1_000).await;
    let order = system.place_order("rec-ivy", 400).await;
    let settled = system.wait_until_settled(&order.id).await;
    assert_eq!(settled.status(), OrderStatus::Finished);
    assert_eq!(order.trace_id.len(), 32, "the order's trace id: {order:?}");

    let requested = TopicReader::new(&system.brokers, &system.requested_topic)
        .read(1, Duration::from_secs(30))
        .await
        .remove(0);
    let request = events::PaymentRequested::decode(requested.payload.as_slice())
        .expect("the payload is a PaymentRequested");
    assert_eq!(request.order_id, order.id);
    assert_eq!(requested.key.as_deref(), Some("rec-ivy"));
    assert_eq!(requested.key.as_deref(), Some(request.user_id.as_str()));
    assert_eq!(header(&requested, "event-id"), request.event_id);
    assert_eq!(
        header(&requested, "event-type"),
        "orderflow.events.v1.PaymentRequested"
    );
    assert_eq!(header(&requested, "content-type"), "application/x-protobuf");
    let (trace_id, _) = trace_and_span(header(&requested, "traceparent"));
    assert_eq!(
        trace_id, order.trace_id,
        "the request continues the order's trace"
    );

    let result = TopicReader::new(&system.brokers, &system.result_topic)
        .read(1, Duration::from_secs(30))
        .await
        .remove(0);
    let payment = events::PaymentResult::decode(result.payload.as_slice())
        .expect("the payload is a PaymentResult");
    assert_eq!(payment.order_id, order.id);
    assert_eq!(payment.status(), PaymentStatus::Succeeded);
    assert_eq!(result.key.as_deref(), Some("rec-ivy"));
    assert_eq!(result.key.as_deref(), Some(payment.user_id.as_str()));
    assert_eq!(header(&result, "event-id"), payment.event_id);
    assert_ne!(
        payment.event_id, request.event_id,
        "each event has its own id"
    );
    assert_eq!(
        header(&result, "event-type"),
        "orderflow.events.v1.PaymentResult"
    );
    assert_eq!(header(&result, "content-type"), "application/x-protobuf");
    let (trace_id, _) = trace_and_span(header(&result, "traceparent"));
    assert_eq!(
        trace_id, order.trace_id,
        "the result continues the order's trace"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clients_trace_context_reaches_the_outbox_and_the_record_without_an_exporter() {
    telemetry_without_exporter();
    let system = TestSystem::start().await;
    let client_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let client_span = "00f067aa0ba902b7";
    let mut request = tonic::Request::new(CreateOrderRequest {
        user_id: "rec-jon".into(),
        amount: 250,
        description: "traced without an exporter".into(),
        idempotency_key: String::new(),
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{client_trace}-{client_span}-01")
            .parse()
            .expect("ascii metadata"),
    );
    let order = system
        .orders
        .clone()
        .create_order(request)
        .await
        .expect("the order is placed")
        .into_inner()
        .order
        .expect("an order");
    assert_eq!(
        order.trace_id, client_trace,
        "the order joins the client's trace"
    );

    let row = system
        .orders_db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT event_id::text AS event_id, trace_context->>'traceparent' AS traceparent \
             FROM outbox WHERE topic = $1",
            [system.requested_topic.clone().into()],
        ))
        .await
        .expect("the outbox is readable")
        .expect("the order's outbox row");
    let stored: String = row
        .try_get("", "traceparent")
        .expect("the row stores a traceparent");
    let (trace_id, parent) = trace_and_span(&stored);
    assert_eq!(trace_id, client_trace, "the outbox row: {stored}");
    assert_ne!(
        parent, client_span,
        "the row is written under the server's span"
    );

    let record = TopicReader::new(&system.brokers, &system.requested_topic)
        .read(1, Duration::from_secs(30))
        .await
        .remove(0);
    let event_id: String = row.try_get("", "event_id").expect("an event id");
    assert_eq!(header(&record, "event-id"), event_id);
    let (trace_id, parent) = trace_and_span(header(&record, "traceparent"));
    assert_eq!(trace_id, client_trace, "the record: {record:?}");
    assert_ne!(
        parent, client_span,
        "the record is a child of the relay's send span"
    );
    system.stop().await;
}
