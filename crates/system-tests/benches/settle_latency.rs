//! Time from `CreateOrder` to `FINISHED` on an idle system: both services
//! in-process, real PostgreSQL and Kafka, orders placed one at a time.
//!
//! Two systems run side by side, one with the consumers' default
//! `fetch.wait.max.ms` (500 ms) and one with 20 ms, and take turns in blocks
//! of 10 orders, so both figures come from the same run on the same machine.
//! Run with `cargo xtask bench -p orderflow-system-tests`.

use std::time::{Duration, Instant};

use orderflow_proto::orders::v1::OrderStatus;
use orderflow_system_tests::{Options, TestSystem};

const ORDERS: usize = 100;
const BLOCK: usize = 10;

/// One order, from `CreateOrder` to FINISHED seen (polled every 1 ms).
async fn settle_once(system: &TestSystem) -> Duration {
    let started = Instant::now();
    let order = system.place_order("bench", 1).await;
    loop {
        let seen = system.order(&order.id).await;
        match seen.status() {
            OrderStatus::Finished => return started.elapsed(),
            OrderStatus::New => tokio::time::sleep(Duration::from_millis(1)).await,
            other => panic!("order {} ended {other:?}", order.id),
        }
    }
}

async fn system_with(fetch_wait: Duration) -> TestSystem {
    let system = TestSystem::start_with(Options {
        fetch_wait: Some(fetch_wait),
        ..Default::default()
    })
    .await;
    system.open_account("bench", 1_000_000).await;
    // Warm-up: connections, consumer group assignment.
    for _ in 0..5 {
        settle_once(&system).await;
    }
    system
}

fn report(label: &str, latencies: &mut [Duration]) -> f64 {
    latencies.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1_000.0;
    let count = latencies.len();
    let median = ms(latencies[count / 2]);
    println!(
        "{label}: CreateOrder → FINISHED over {count} sequential orders: median {median:.1} ms, p90 {:.1} ms, max {:.1} ms, min {:.1} ms",
        ms(latencies[count * 9 / 10]),
        ms(latencies[count - 1]),
        ms(latencies[0]),
    );
    median
}

#[tokio::main]
async fn main() {
    let default_wait = system_with(Duration::from_millis(500)).await;
    let short_wait = system_with(Duration::from_millis(20)).await;
    let mut default_latencies = Vec::with_capacity(ORDERS);
    let mut short_latencies = Vec::with_capacity(ORDERS);
    for _ in 0..ORDERS / BLOCK {
        for _ in 0..BLOCK {
            default_latencies.push(settle_once(&default_wait).await);
        }
        for _ in 0..BLOCK {
            short_latencies.push(settle_once(&short_wait).await);
        }
    }
    let default_median = report("fetch.wait.max.ms=500 (default)", &mut default_latencies);
    let short_median = report("fetch.wait.max.ms=20", &mut short_latencies);
    println!(
        "median ratio, default / 20 ms: {:.2}",
        default_median / short_median
    );
    default_wait.stop().await;
    short_wait.stop().await;
}
