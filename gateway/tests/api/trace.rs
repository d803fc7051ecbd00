//! `GET /api/orders/{id}/trace`: the order's trace from the real Jaeger.

use std::time::Duration;

use gateway::Config;
use orderflow_devstack::TestJaeger;
use serde_json::Value;

use crate::helpers::{TestGateway, unique_user};

#[tokio::test]
async fn without_jaeger_the_trace_is_a_503_tracing_disabled() {
    let gateway = TestGateway::with_config(Config::local()).await;

    let answer = gateway
        .get(&format!("/api/orders/{}/trace", uuid::Uuid::new_v4()))
        .await;

    let problem = answer.problem(503, "TRACING_DISABLED");
    assert_eq!(
        problem["detail"],
        "tracing is off: this gateway has no JAEGER_QUERY_URL"
    );
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orders_trace_holds_the_span_that_placed_it() {
    let jaeger = TestJaeger::from_env();
    // This test's process exports its spans (gateway, orders and payments
    // all in-process) to the test Jaeger as service `orders`, every 200 ms.
    // SAFETY: set before any other thread of this test reads the environment.
    unsafe {
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", &jaeger.otlp_endpoint);
        std::env::set_var("OTEL_BSP_SCHEDULE_DELAY", "200");
    }
    let _telemetry = orderflow_runtime::telemetry::init("orders", "test").expect("telemetry");
    let gateway = TestGateway::start_with(Config {
        jaeger_query_url: Some(jaeger.query_url.clone()),
        jaeger_ui_url: Some("http://jaeger.example/".into()),
        ..Config::local()
    })
    .await;
    let user = unique_user("traced");
    gateway.funded_account(&user, 10_000).await;
    let order = gateway
        .create_order(&user, 1250, "traced")
        .await
        .expect(202)
        .clone();
    let id = order["id"].as_str().expect("an id").to_owned();

    let trace = orderflow_system_tests::eventually(
        "the gateway finds the order's trace",
        Duration::from_secs(30),
        || async {
            let answer = gateway.get(&format!("/api/orders/{id}/trace")).await;
            match answer.status {
                200 => Ok(answer.body),
                _ => Err(answer.text),
            }
        },
    )
    .await;

    let trace_id = trace["trace_id"].as_str().expect("a trace id");
    assert_eq!(trace["order_id"], id.as_str());
    assert_eq!(
        trace["jaeger_url"],
        format!("http://jaeger.example/trace/{trace_id}")
    );
    let spans = trace["spans"].as_array().expect("spans");
    let place = spans
        .iter()
        .find(|span| span["service"] == "orders" && span["name"] == "place")
        .unwrap_or_else(|| panic!("the place span: {trace:#}"));
    assert_eq!(place["attributes"]["order_id"], id.as_str());
    assert_eq!(place["kind"], "internal");
    assert!(
        place["duration_us"].as_i64().is_some_and(|us| us > 0),
        "{place:#}"
    );
    let parent = place["parent_id"]
        .as_str()
        .expect("placing is part of a call");
    assert!(
        spans.iter().any(|span| span["span_id"] == parent),
        "its parent is in the trace: {trace:#}"
    );
    let starts: Vec<i64> = spans
        .iter()
        .filter_map(|span| span["start_us"].as_i64())
        .collect();
    assert!(starts.is_sorted(), "earliest first: {starts:?}");
    assert!(spans.iter().all(|span: &Value| span["span_id"].is_string()));
    gateway.stop().await;
}
