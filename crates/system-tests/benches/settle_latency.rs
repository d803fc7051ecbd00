//! Time from `CreateOrder` to `FINISHED` over 100 sequential orders on an
//! idle system: both services in-process, real PostgreSQL and broker.
//! Run with `cargo xtask bench -p orderflow-system-tests`.

use std::time::{Duration, Instant};

use orderflow_proto::orders::v1::OrderStatus;
use orderflow_system_tests::TestSystem;

const ORDERS: usize = 100;

#[tokio::main]
async fn main() {
    let system = TestSystem::start().await;
    system.open_account("bench", 1_000_000).await;
    // Warm-up: connections, consumer group assignment.
    for _ in 0..5 {
        let order = system.place_order("bench", 1).await;
        system.wait_until_settled(&order.id).await;
    }

    let mut latencies = Vec::with_capacity(ORDERS);
    for _ in 0..ORDERS {
        let started = Instant::now();
        let order = system.place_order("bench", 1).await;
        loop {
            let seen = system.order(&order.id).await;
            if seen.status() == OrderStatus::Finished {
                break;
            }
            assert_eq!(
                seen.status(),
                OrderStatus::New,
                "order {} was cancelled",
                order.id
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1_000.0;
    println!(
        "CreateOrder → FINISHED over {ORDERS} sequential orders: median {:.1} ms, p90 {:.1} ms, max {:.1} ms, min {:.1} ms",
        ms(latencies[ORDERS / 2]),
        ms(latencies[ORDERS * 9 / 10]),
        ms(latencies[ORDERS - 1]),
        ms(latencies[0]),
    );
    system.stop().await;
}
