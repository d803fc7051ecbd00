//! One order is one trace: from the gateway's HTTP span through both
//! services and both Kafka hops to the status change, found in Jaeger by
//! the correlation id the gateway answered with. The three real binaries
//! run as child processes, exporting to the tests' Jaeger.

mod jaeger;
mod metrics;
mod stack;

use jaeger::{Span, Trace};
use orderflow_devstack::TestJaeger;
use orderflow_proto::events::v1 as events;
use prost::Message;
use stack::TracedStack;

/// Whether the trace holds the whole way of an order: both hops published
/// and processed, and the order settled.
fn settled_trace(stack: &TracedStack) -> impl Fn(&Trace) -> bool {
    let requested = stack.payment_requested_topic.clone();
    let results = stack.payment_result_topic.clone();
    move |trace: &Trace| {
        !trace
            .named("payments", &format!("process {requested}"))
            .is_empty()
            && !trace
                .named("orders", &format!("process {results}"))
                .is_empty()
            && !trace.named("orders", "UPDATE orders").is_empty()
            // The result's producer span, which the consumer span above is a
            // child of, is exported by another process, maybe later.
            && !trace
                .named("payments", &format!("send {results}"))
                .is_empty()
    }
}

/// Whether `ancestor` is `span`'s parent, grandparent, ….
fn descends_from(trace: &Trace, span: &Span, ancestor: &Span) -> bool {
    let mut current = trace.parent_of(span);
    while let Some(parent) = current {
        if parent.span_id == ancestor.span_id {
            return true;
        }
        current = trace.parent_of(parent);
    }
    false
}

fn assert_tags(span: &Span, expected: &[(&str, &str)]) {
    for (key, value) in expected {
        assert_eq!(
            span.tag(key).as_deref(),
            Some(*value),
            "{key} on {} {}: {:#?}",
            span.service,
            span.name,
            span.tags
        );
    }
}

/// The spans of a paid or declined order, checked hop by hop: each a
/// child of the one before, each with its conventional attributes.
fn assert_one_tree(stack: &TracedStack, trace: &Trace, trace_id: &str, user: &str) {
    let tree = trace.tree();
    assert!(
        trace.spans.iter().all(|span| span.trace_id == trace_id),
        "one trace id:\n{tree}"
    );
    let roots = trace.roots();
    assert_eq!(roots.len(), 1, "a single tree, no orphan:\n{tree}");
    let root = trace.one("gateway", "POST /api/orders");
    assert_eq!(
        root.span_id, roots[0].span_id,
        "the gateway starts it:\n{tree}"
    );
    assert_eq!(root.kind, "server");
    assert_tags(
        root,
        &[
            ("http.request.method", "POST"),
            ("http.route", "/api/orders"),
            ("http.response.status_code", "202"),
        ],
    );

    let rpc = [
        ("rpc.system", "grpc"),
        ("rpc.service", "orders.v1.OrdersService"),
        ("rpc.method", "CreateOrder"),
        ("rpc.grpc.status_code", "0"),
    ];
    let client = trace.one("gateway", "orders.v1.OrdersService/CreateOrder");
    assert_eq!(
        (client.kind.as_str(), client.parent.as_ref()),
        ("client", Some(&root.span_id))
    );
    assert_tags(client, &rpc);
    let server = trace.one("orders", "orders.v1.OrdersService/CreateOrder");
    assert_eq!(
        (server.kind.as_str(), server.parent.as_ref()),
        ("server", Some(&client.span_id))
    );
    assert_tags(server, &rpc);
    let insert = trace.one("orders", "INSERT orders");
    assert!(descends_from(trace, insert, server), "{tree}");
    assert_tags(
        insert,
        &[
            ("db.system.name", "postgresql"),
            ("db.operation.name", "INSERT"),
        ],
    );

    let requested = &stack.payment_requested_topic;
    let results = &stack.payment_result_topic;
    let hops = [
        ("orders", "payments", requested.as_str(), server),
        ("payments", "orders", results.as_str(), server),
    ];
    let mut writer = server;
    for (from, to, topic, _) in hops {
        let send = trace.one(from, &format!("send {topic}"));
        assert_eq!(send.kind, "producer", "{tree}");
        assert!(
            descends_from(trace, send, writer),
            "send follows its writer:\n{tree}"
        );
        let process = trace.one(to, &format!("process {topic}"));
        assert_eq!(process.kind, "consumer", "{tree}");
        assert_eq!(process.parent.as_ref(), Some(&send.span_id), "{tree}");
        let common = [
            ("messaging.system", "kafka"),
            ("messaging.destination.name", topic),
            ("messaging.kafka.message.key", user),
            ("messaging.destination.partition.id", "0"),
        ];
        assert_tags(send, &common);
        assert_tags(send, &[("messaging.operation.type", "send")]);
        assert_tags(process, &common);
        assert_tags(
            process,
            &[
                ("messaging.operation.type", "process"),
                ("duplicate", "false"),
            ],
        );
        for span in [send, process] {
            assert!(span.tag("messaging.kafka.offset").is_some(), "{span:#?}");
        }
        assert!(
            process.tag("messaging.consumer.group.name").is_some(),
            "{process:#?}"
        );
        writer = process;
    }
    let settle = trace.one("orders", "UPDATE orders");
    assert!(
        descends_from(trace, settle, writer),
        "the status change:\n{tree}"
    );
}

#[tokio::test]
async fn one_paid_order_is_one_trace_found_by_its_correlation_id() {
    let stack = TracedStack::start().await;
    let jaeger = TestJaeger::from_env();
    let user = stack.user_with(10_000).await;

    let placed = stack.place_order(&user, 2_500, &[]).await;
    let correlation_id = placed.header("x-correlation-id").to_owned();
    assert_eq!(
        correlation_id.len(),
        32,
        "the trace id is the correlation id"
    );
    let order = stack
        .settled(placed.body["id"].as_str().expect("an id"))
        .await;
    assert_eq!(order["status"], "FINISHED");
    assert_eq!(placed.body["trace_id"], correlation_id.as_str());
    assert_eq!(placed.body["correlation_id"], correlation_id.as_str());
    assert_eq!(
        order["trace_id"],
        correlation_id.as_str(),
        "the order remembers its trace"
    );

    let trace = jaeger::trace_by_id(&jaeger, &correlation_id, settled_trace(&stack)).await;
    println!("{}", trace.tree());
    assert_one_tree(&stack, &trace, &correlation_id, &user);
    let debit = trace.one("payments", "UPDATE accounts");
    assert_tags(
        debit,
        &[
            ("db.system.name", "postgresql"),
            ("db.operation.name", "UPDATE"),
        ],
    );
}

#[tokio::test]
async fn a_cancelled_order_is_one_trace_too() {
    let stack = TracedStack::start().await;
    let jaeger = TestJaeger::from_env();
    let user = stack.user_with(100).await;

    let placed = stack.place_order(&user, 2_500, &[]).await;
    let correlation_id = placed.header("x-correlation-id").to_owned();
    let order = stack
        .settled(placed.body["id"].as_str().expect("an id"))
        .await;
    assert_eq!(order["status"], "CANCELLED");

    let trace = jaeger::trace_by_id(&jaeger, &correlation_id, settled_trace(&stack)).await;
    assert_one_tree(&stack, &trace, &correlation_id, &user);
    let debits = trace.named("payments", "UPDATE accounts");
    assert_eq!(debits.len(), 1, "one debit attempt, which took nothing");
    assert_eq!(stack.balance(&user).await, 100);
}

#[tokio::test]
async fn a_redelivered_payment_request_joins_the_trace_as_a_duplicate_without_a_debit() {
    let stack = TracedStack::start().await;
    let jaeger = TestJaeger::from_env();
    let user = stack.user_with(10_000).await;
    let placed = stack.place_order(&user, 2_500, &[]).await;
    let trace_id = placed.header("x-correlation-id").to_owned();
    let order = stack
        .settled(placed.body["id"].as_str().expect("an id"))
        .await;
    let first = jaeger::trace_by_id(&jaeger, &trace_id, settled_trace(&stack)).await;
    let topic = stack.payment_requested_topic.clone();
    let send = first.one("orders", &format!("send {topic}"));
    let event_id = send.tag("messaging.message.id").expect("the event id");

    // The same event again, as a broker redelivers it: same id, same parent.
    let payload = events::PaymentRequested {
        event_id: event_id.clone(),
        order_id: order["id"].as_str().expect("an id").to_owned(),
        user_id: user.clone(),
        amount: 2_500,
        occurred_at: Some(orderflow_proto::timestamp(0, 0)),
    }
    .encode_to_vec();
    let traceparent = format!("00-{trace_id}-{}-01", send.span_id);
    orderflow_system_tests::produce(
        &stack.brokers,
        &topic,
        &user,
        &payload,
        &[
            ("event-id", &event_id),
            ("event-type", events::PAYMENT_REQUESTED),
            ("content-type", "application/x-protobuf"),
            ("traceparent", &traceparent),
        ],
    )
    .await;

    let process = format!("process {topic}");
    let trace = jaeger::trace_by_id(&jaeger, &trace_id, |trace| {
        trace.named("payments", &process).len() == 2
    })
    .await;
    assert_eq!(trace.roots().len(), 1, "still one tree:\n{}", trace.tree());
    let processed = trace.named("payments", &process);
    let duplicate = processed
        .iter()
        .find(|span| span.tag("duplicate").as_deref() == Some("true"))
        .unwrap_or_else(|| panic!("a process span marked duplicate:\n{}", trace.tree()));
    assert_eq!(duplicate.tag("outcome").as_deref(), Some("Duplicate"));
    assert_eq!(duplicate.parent.as_ref(), Some(&send.span_id));
    let debits = trace.named("payments", "UPDATE accounts");
    assert_eq!(debits.len(), 1, "one debit:\n{}", trace.tree());
    assert!(
        !descends_from(&trace, debits[0], duplicate),
        "none under the duplicate"
    );
    assert_eq!(stack.balance(&user).await, 7_500);
}

#[tokio::test]
async fn a_client_traceparent_is_continued() {
    let stack = TracedStack::start().await;
    let jaeger = TestJaeger::from_env();
    let user = stack.user_with(10_000).await;
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let parent_id = &uuid::Uuid::new_v4().simple().to_string()[..16];
    let traceparent = format!("00-{trace_id}-{parent_id}-01");

    let placed = stack
        .place_order(&user, 2_500, &[("traceparent", &traceparent)])
        .await;
    assert_eq!(placed.header("x-correlation-id"), trace_id);
    stack
        .settled(placed.body["id"].as_str().expect("an id"))
        .await;

    let trace = jaeger::trace_by_id(&jaeger, &trace_id, settled_trace(&stack)).await;
    let root = trace.one("gateway", "POST /api/orders");
    assert_eq!(root.trace_id, trace_id);
    assert_eq!(root.parent.as_deref(), Some(parent_id), "the client's span");
    assert_eq!(trace.roots().len(), 1, "{}", trace.tree());
}

#[tokio::test]
async fn a_client_correlation_id_finds_the_trace_and_travels_as_baggage() {
    let stack = TracedStack::start().await;
    let jaeger = TestJaeger::from_env();
    let user = stack.user_with(10_000).await;
    let correlation_id = format!("checkout-{}", uuid::Uuid::new_v4().simple());

    let placed = stack
        .place_order(&user, 2_500, &[("x-correlation-id", &correlation_id)])
        .await;
    assert_eq!(placed.header("x-correlation-id"), correlation_id);
    stack
        .settled(placed.body["id"].as_str().expect("an id"))
        .await;

    let traces = jaeger::traces_tagged(&jaeger, "gateway", "correlation_id", &correlation_id).await;
    assert_eq!(traces.len(), 1, "one order, one trace");
    let trace_id = traces[0].spans[0].trace_id.clone();
    let id = placed.body["id"].as_str().expect("an id");
    let order = stack.get(&format!("/api/orders/{id}")).await;
    assert_eq!(
        order.body["trace_id"],
        trace_id.as_str(),
        "the order remembers its trace"
    );
    assert_eq!(order.body["correlation_id"], correlation_id.as_str());
    let trace = jaeger::trace_by_id(&jaeger, &trace_id, settled_trace(&stack)).await;
    for service in ["orders", "payments"] {
        let topic = match service {
            "payments" => &stack.payment_requested_topic,
            _ => &stack.payment_result_topic,
        };
        let process = trace.one(service, &format!("process {topic}"));
        assert_eq!(
            process.tag("correlation_id").as_deref(),
            Some(correlation_id.as_str()),
            "carried through Kafka to {service}"
        );
    }
}
