//! The relays wake on LISTEN/NOTIFY, not on their fallback poll: with the
//! poll at 60 s, an order still crosses both outboxes long before a poll
//! could have fired. (How fast it settles is the benchmark's business; this
//! only proves the wake-up path.)

use std::time::{Duration, Instant};

use orderflow_proto::orders::v1::OrderStatus;
use orderflow_system_tests::{Options, TestSystem, until};

const POLL_INTERVAL: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn an_order_settles_long_before_the_relays_would_poll() {
    let system = TestSystem::start_with(Options {
        poll_interval: Some(POLL_INTERVAL),
        ..Options::default()
    })
    .await;
    system.open_account("wake-kim", 1_000).await;
    // Let both relays finish their first pass and go to sleep for the poll
    // interval: from here on, only a notification wakes them before it ends.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let placed = Instant::now();
    let order = system.place_order("wake-kim", 300).await;
    let settled = until(
        "the order settles without a poll",
        POLL_INTERVAL / 3,
        || system.order(&order.id),
        |order| order.status() != OrderStatus::New,
    )
    .await;
    let took = placed.elapsed();
    assert_eq!(settled.status(), OrderStatus::Finished);
    assert!(
        took < POLL_INTERVAL / 3,
        "settled after {took:?}; a poll would have taken up to {POLL_INTERVAL:?}"
    );
    println!("settled {took:?} after the order was placed (poll interval {POLL_INTERVAL:?})");
    assert_eq!(system.balance("wake-kim").await, 700);
    system.stop().await;
}
