//! The orders binary exports its spans over OTLP, and Jaeger's query API
//! finds them: the path every trace takes on the local run.

use std::{process::Stdio, time::Duration};

use orderflow_devstack::{TestEnv, TestJaeger, free_port, unique_name};
use orderflow_proto::orders::v1::{CreateOrderRequest, orders_service_client::OrdersServiceClient};
use serde_json::Value;
use tokio::process::{Child, Command};

/// The real `orders` binary, exporting to the tests' Jaeger.
async fn start_orders(env: &TestEnv, jaeger: &TestJaeger, port: u16) -> Child {
    let database_url = env.fresh_database("orders").await.expect("a database");
    Command::new(env!("CARGO_BIN_EXE_orders"))
        .env("DATABASE_URL", database_url)
        .env("KAFKA_BROKERS", env.kafka_brokers())
        .env("GRPC_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("METRICS_LISTEN_ADDR", "127.0.0.1:0")
        .env("PAYMENT_REQUESTED_TOPIC", unique_name("payments.requested"))
        .env("PAYMENT_RESULT_TOPIC", unique_name("payments.results"))
        .env("CONSUMER_GROUP", unique_name("orders"))
        .env("TOPIC_PARTITIONS", "1")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &jaeger.otlp_endpoint)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the orders binary starts")
}

/// Retries `CreateOrder` until the server is up, then places one order.
async fn place_order(port: u16, user_id: &str) {
    orderflow_system_tests::eventually(
        "orders accepts an order",
        Duration::from_secs(60),
        || async {
            let mut client = OrdersServiceClient::connect(format!("http://127.0.0.1:{port}"))
                .await
                .map_err(|error| error.to_string())?;
            client
                .create_order(CreateOrderRequest {
                    user_id: user_id.into(),
                    amount: 1250,
                    description: "traced".into(),
                    ..Default::default()
                })
                .await
                .map(drop)
                .map_err(|status| status.to_string())
        },
    )
    .await;
}

/// Traces of service `orders` with a span tagged `user_id = user`.
async fn traces_of(jaeger: &TestJaeger, user: &str) -> Result<Vec<Value>, String> {
    let tags = serde_json::json!({ "user_id": user }).to_string();
    let query = serde_urlencoded::to_string([
        ("service", "orders"),
        ("tags", tags.as_str()),
        ("lookback", "1h"),
    ])
    .map_err(|error| error.to_string())?;
    let response = reqwest::get(format!("{}/api/traces?{query}", jaeger.query_url))
        .await
        .map_err(|error| error.to_string())?;
    let body: Value = response.json().await.map_err(|error| error.to_string())?;
    match body["data"].as_array() {
        Some(traces) if !traces.is_empty() => Ok(traces.clone()),
        _ => {
            let everything = reqwest::get(format!(
                "{}/api/traces?service=orders&lookback=1h&limit=5",
                jaeger.query_url
            ))
            .await
            .map_err(|error| error.to_string())?
            .text()
            .await
            .map_err(|error| error.to_string())?;
            Err(format!("{body}; orders' traces: {everything}"))
        }
    }
}

fn tag<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["tags"]
        .as_array()?
        .iter()
        .find(|tag| tag["key"] == key)
        .map(|tag| &tag["value"])
}

#[tokio::test]
async fn a_span_the_orders_service_exports_is_found_through_jaegers_query_api() {
    let env = TestEnv::from_env();
    let jaeger = TestJaeger::from_env();
    let port = free_port().expect("a port");
    let user = unique_name("traced").replace('.', "_");
    let mut orders = start_orders(&env, &jaeger, port).await;

    place_order(port, &user).await;
    // SIGTERM: the service stops gracefully and flushes its spans.
    let pid = orders.id().expect("running") as libc::pid_t;
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = tokio::time::timeout(Duration::from_secs(30), orders.wait())
        .await
        .expect("orders stops within 30 s")
        .expect("an exit status");
    assert!(status.success(), "orders exited with {status}");

    let traces = orderflow_system_tests::eventually(
        "Jaeger has the order's trace",
        Duration::from_secs(30),
        || traces_of(&jaeger, &user),
    )
    .await;
    assert_eq!(traces.len(), 1, "one order, one trace: {traces:#?}");
    let trace = &traces[0];
    assert_eq!(
        trace["processes"]["p1"]["serviceName"], "orders",
        "{trace:#}"
    );
    let spans = trace["spans"].as_array().expect("spans");
    let place = spans
        .iter()
        .find(|span| tag(span, "user_id").is_some_and(|value| *value == user.as_str()))
        .expect("the span that placed the order");
    let server = spans
        .iter()
        .find(|span| {
            tag(span, "rpc.service").is_some_and(|service| *service == "orders.v1.OrdersService")
                && tag(span, "rpc.method").is_some_and(|method| *method == "CreateOrder")
        })
        .unwrap_or_else(|| panic!("the gRPC server span: {trace:#}"));
    assert_eq!(place["traceID"], server["traceID"]);
    let parent = &place["references"][0];
    assert_eq!(parent["refType"], "CHILD_OF", "{place:#}");
    assert_eq!(
        parent["spanID"], server["spanID"],
        "placing is part of the call"
    );
}
