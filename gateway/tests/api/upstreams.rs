//! The services behind the gateway: readiness, and failure when they are down.

use std::time::{Duration, Instant};

use gateway::Config;

use crate::helpers::TestGateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_is_down_gives_a_503_problem_not_a_hang() {
    let gateway = TestGateway::without_services().await;
    let started = Instant::now();
    let order = gateway
        .get_order("0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9d")
        .await;
    assert_eq!(
        order.problem(503, "UNAVAILABLE")["detail"],
        "the orders service is unavailable"
    );
    let account = gateway.create_account("alice").await;
    assert_eq!(
        account.problem(503, "UNAVAILABLE")["detail"],
        "the payments service is unavailable"
    );
    gateway
        .create_order("alice", 5, "")
        .await
        .problem(503, "UNAVAILABLE");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );

    let ready = gateway.get("/readyz").await;
    let detail = ready.problem(503, "NOT_READY")["detail"].as_str().unwrap();
    assert!(
        detail.contains("the orders service is UNREACHABLE"),
        "{detail}"
    );
    assert_eq!(gateway.get("/healthz").await.expect(200)["status"], "ok");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_is_ready_when_both_services_serve() {
    let gateway = TestGateway::start().await;
    let ready = gateway.get("/readyz").await;
    let report = ready.expect(200);
    assert_eq!(report["status"], "ready");
    assert_eq!(
        (&report["orders"], &report["payments"]),
        (&"SERVING".into(), &"SERVING".into())
    );
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_names_the_one_service_that_does_not_answer_its_health_check() {
    // Orders is up; payments accepts connections and never answers.
    let gateway = TestGateway::with_hung_payments(Config::local()).await;
    let started = Instant::now();
    let ready = gateway.get("/readyz").await;
    let took = started.elapsed();
    assert_eq!(
        ready.problem(503, "NOT_READY")["detail"],
        "not ready: the payments service is UNREACHABLE"
    );
    // The health check's own short deadline, not REQUEST_TIMEOUT_MS (10 s).
    assert!(took < Duration::from_secs(3), "took {took:?}");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_upstream_gives_504_every_time() {
    let timeout = Duration::from_millis(100);
    let gateway = TestGateway::in_front_of_hung_services(timeout).await;
    for _ in 0..20 {
        let started = Instant::now();
        // The call's deadline (its grpc-timeout) is the one timeout.
        gateway
            .balance("alice")
            .await
            .problem(504, "DEADLINE_EXCEEDED");
        gateway
            .get_order("0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9d")
            .await
            .problem(504, "DEADLINE_EXCEEDED");
        assert!(
            started.elapsed() < 10 * timeout,
            "took {:?}",
            started.elapsed()
        );
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_from_a_hung_service_is_a_504_after_the_call_deadline() {
    let timeout = Duration::from_millis(200);
    let gateway = TestGateway::in_front_of_hung_services(timeout).await;
    let started = Instant::now();
    gateway
        .get("/api/orders/0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9d/events")
        .await
        .problem(504, "DEADLINE_EXCEEDED");
    let took = started.elapsed();
    // Not the stream's lifetime (SSE_MAX_SECS, 300 s): the call's deadline.
    assert!(took >= timeout && took < 10 * timeout, "took {took:?}");
    gateway.stop().await;
}
