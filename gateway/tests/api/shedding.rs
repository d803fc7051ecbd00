//! Load shedding: when the gateway serves as many requests as it may, one
//! more is a fast 503 with `Retry-After`, not a wait that ends in a 504.

use std::time::{Duration, Instant};

use gateway::Config;

use crate::{helpers::TestGateway, sse::EventStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_gateway_sheds_at_once_then_serves_again_and_streams_do_not_count() {
    let call_deadline = Duration::from_secs(4);
    let gateway = TestGateway::with_hung_payments(Config {
        max_concurrent_requests: 1,
        request_timeout: call_deadline,
        ..Config::local()
    })
    .await;
    let order = gateway.create_order("shed-user", 5, "").await;
    let id = order.expect(202)["id"].as_str().unwrap().to_owned();

    // One balance read waits on a payments service that never answers,
    // holding the only permit until its deadline (retried while refused,
    // so it gets the permit whatever runs beside it).
    let url = gateway.url("/api/payments/balance/held");
    let held = tokio::spawn(async move {
        loop {
            let status = reqwest::get(&url).await.unwrap().status().as_u16();
            if status != 503 {
                return status;
            }
        }
    });

    // Once it is in flight, the next request is refused at once.
    let shed = orderflow_system_tests::until(
        "a request is shed",
        Duration::from_secs(2),
        || gateway.get_order(&id),
        |answer| answer.status == 503,
    )
    .await;
    let started = Instant::now();
    let shed_again = gateway.create_order("shed-user", 5, "").await;
    let took = started.elapsed();
    for answer in [&shed, &shed_again] {
        let problem = answer.problem(503, "OVERLOADED");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("retry"), "{problem}");
        assert_eq!(answer.header("retry-after"), "1");
    }
    assert!(took < call_deadline / 4, "shedding took {took:?}");

    // Event streams and probes do not count: they are served while the
    // limit is full.
    let events = gateway.url(&format!("/api/orders/{id}/events"));
    let mut stream = EventStream::open(&events).await;
    assert_eq!(stream.status, 200);
    assert!(stream.next(Duration::from_secs(3)).await.is_some());
    gateway.get("/healthz").await.expect(200);
    assert!(
        !held.is_finished(),
        "the held request ended before the checks"
    );

    // The held request ends at its deadline; then the gateway serves again.
    assert_eq!(held.await.unwrap(), 504);
    gateway.get_order(&id).await.expect(200);
    gateway.create_order("shed-user", 5, "").await.expect(202);
    drop(stream);
    gateway.stop().await;
}
