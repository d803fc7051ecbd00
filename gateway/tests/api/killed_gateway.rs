//! The gateway dies after the service committed an order but before the
//! client got the answer; the client's retry with the same key gets that
//! order, and no second one is made.

use std::{net::SocketAddr, process::Stdio, time::Duration};

use orderflow_system_tests::{TestSystem, eventually, until};
use serde_json::json;
use tokio::process::{Child, Command};

use crate::{
    helpers::{TestGateway, unique_user},
    proxy::HoldingProxy,
};

/// The gateway binary, listening on a free port, in front of `orders` and
/// `payments`; ready once `/healthz` answers.
async fn gateway_process(orders: SocketAddr, payments: SocketAddr) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .env("GATEWAY_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("ORDERS_URL", format!("http://{orders}"))
        .env("PAYMENTS_URL", format!("http://{payments}"))
        .env("RUST_LOG", "warn")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting the gateway binary");
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    eventually(
        "the gateway process answers /healthz",
        Duration::from_secs(30),
        || {
            let probe = client.get(format!("{url}/healthz")).send();
            async move {
                match probe.await {
                    Ok(response) if response.status().is_success() => Ok(()),
                    Ok(response) => Err(response.status().to_string()),
                    Err(error) => Err(error.to_string()),
                }
            }
        },
    )
    .await;
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_gateway_died_before_answering_returns_the_first_order() {
    // The in-process gateway is the one the client retries through.
    let survivor = TestGateway::start().await;
    let system = survivor.system();
    let user = unique_user("unlucky");
    survivor.funded_account(&user, 1_000).await;

    // The doomed gateway reaches orders through a proxy that will keep the
    // answer, so it dies after the commit and before it could answer.
    let proxy = HoldingProxy::start(system.orders_addr).await;
    let (mut doomed, url) = gateway_process(proxy.addr, system.payments_addr).await;
    let client = reqwest::Client::new();
    let warm = client
        .get(format!("{url}/api/orders?user_id={user}"))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(warm.status(), 200, "the channel to orders is up");
    proxy.hold();

    let body = json!({ "user_id": user, "amount": 400, "description": "lost in transit" });
    let request = client
        .post(format!("{url}/api/orders"))
        .header("idempotency-key", "order-7")
        .json(&body)
        .send();
    let lost = tokio::spawn(request);
    let count = format!("SELECT count(*) AS n FROM orders WHERE user_id = '{user}'");
    until(
        "orders committed the order",
        Duration::from_secs(30),
        || TestSystem::count(&system.orders_db, &count),
        |orders| *orders == 1,
    )
    .await;
    doomed.kill().await.expect("killing the gateway");
    let outcome = lost.await.expect("the request task");
    assert!(
        outcome.is_err(),
        "no answer reached the client: {outcome:?}"
    );

    let retry = survivor.post_with_key("/api/orders", "order-7", body).await;
    let order = retry.expect(202).clone();
    assert_eq!(retry.header("idempotent-replayed"), "true");
    let id = order["id"].as_str().expect("an id").to_owned();
    let stored = format!("SELECT count(*) AS n FROM orders WHERE id = '{id}'");
    assert_eq!(TestSystem::count(&system.orders_db, &stored).await, 1);
    assert_eq!(TestSystem::count(&system.orders_db, &count).await, 1);
    assert_eq!(survivor.wait_until_settled(&id).await["status"], "FINISHED");
    assert_eq!(survivor.balance(&user).await.expect(200)["balance"], 600);
    drop(proxy);
    survivor.stop().await;
}
