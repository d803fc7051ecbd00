//! Request bodies at the edge: too large, or too slow.

use std::time::{Duration, Instant};

use gateway::Config;

use crate::{helpers::TestGateway, raw_http};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_length_over_the_limit_is_a_413_at_once() {
    let gateway = TestGateway::with_config(Config {
        body_read_timeout: Duration::from_secs(30),
        ..Config::local()
    })
    .await;
    let started = Instant::now();
    // The headers only: the 10 MiB body never comes.
    let answer = raw_http::exchange(
        gateway.addr,
        b"POST /api/orders HTTP/1.1\r\nHost: gateway\r\n\
          Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n",
    )
    .await;
    answer.problem(413, "PAYLOAD_TOO_LARGE");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_is_a_408_after_the_body_read_timeout() {
    let body_read_timeout = Duration::from_millis(300);
    let gateway = TestGateway::with_config(Config {
        body_read_timeout,
        ..Config::local()
    })
    .await;
    let started = Instant::now();
    // 40 bytes declared, 12 sent, then nothing.
    let answer = raw_http::exchange(
        gateway.addr,
        b"POST /api/payments/topup HTTP/1.1\r\nHost: gateway\r\n\
          Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"user_id\":",
    )
    .await;
    answer.problem(408, "BODY_TIMEOUT");
    let took = started.elapsed();
    assert!(
        took >= body_read_timeout && took < Config::local().request_timeout,
        "took {took:?}"
    );
    gateway.stop().await;
}
