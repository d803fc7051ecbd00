//! What exporting traces costs: two systems of the three release binaries
//! side by side, one exporting every span to Jaeger over OTLP and one with no
//! exporter (spans are still made, for the trace ids, but go nowhere). They
//! take turns in blocks of 10 orders; each order is timed from its `POST
//! /api/orders` to FINISHED seen through the gateway (polled every 1 ms).
//! Run with `cargo xtask bench -p gateway --bench tracing_overhead`.

#[path = "../tests/traces/stack.rs"]
#[allow(dead_code)]
mod stack;

use std::time::{Duration, Instant};

use orderflow_devstack::TestJaeger;
use serde_json::json;
use stack::TracedStack;

const ORDERS: usize = 200;
const BLOCK: usize = 10;

async fn settle_once(stack: &TracedStack, user: &str) -> Duration {
    let started = Instant::now();
    let placed = stack
        .post(
            "/api/orders",
            json!({ "user_id": user, "amount": 1, "description": "bench" }),
            &[],
        )
        .await;
    let id = placed.body["id"].as_str().expect("an order id").to_owned();
    loop {
        let order = stack.get(&format!("/api/orders/{id}")).await;
        match order.body["status"].as_str() {
            Some("FINISHED") => return started.elapsed(),
            Some("NEW") => tokio::time::sleep(Duration::from_millis(1)).await,
            other => panic!("order {id} ended {other:?}"),
        }
    }
}

fn median_ms(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1_000.0
}

fn p90_ms(samples: &[Duration]) -> f64 {
    samples[samples.len() * 9 / 10].as_secs_f64() * 1_000.0
}

#[tokio::main]
async fn main() {
    let exporting = TracedStack::start_with(Some(TestJaeger::from_env())).await;
    let silent = TracedStack::start_with(None).await;
    let exporting_user = exporting.user_with(1_000_000).await;
    let silent_user = silent.user_with(1_000_000).await;
    for _ in 0..5 {
        settle_once(&exporting, &exporting_user).await;
        settle_once(&silent, &silent_user).await;
    }
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..ORDERS / BLOCK {
        for _ in 0..BLOCK {
            with.push(settle_once(&exporting, &exporting_user).await);
        }
        for _ in 0..BLOCK {
            without.push(settle_once(&silent, &silent_user).await);
        }
    }
    let (with_median, without_median) = (median_ms(&mut with), median_ms(&mut without));
    println!(
        "POST /api/orders → FINISHED over {ORDERS} orders each: exporting to Jaeger median {with_median:.1} ms (p90 {:.1}), no exporter median {without_median:.1} ms (p90 {:.1}); ratio {:.2}",
        p90_ms(&with),
        p90_ms(&without),
        with_median / without_median
    );
}
