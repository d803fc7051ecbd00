//! `cargo xtask run` as a person uses it: it starts the whole system, prints
//! the addresses once everything answers, serves an order through the printed
//! gateway URL, and on Ctrl-C (SIGINT) stops every process it started.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::RunCommand;

async fn post(client: &reqwest::Client, url: String, body: Value) -> Value {
    let response = client
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("an answer");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_command_serves_an_order_and_stops_every_process_on_ctrl_c() {
    let mut run = RunCommand::start();
    let api = tokio::task::block_in_place(|| run.wait_for("REST API", Duration::from_secs(240)));

    let client = reqwest::Client::new();
    post(
        &client,
        format!("{api}/payments/account"),
        json!({"user_id": "runner"}),
    )
    .await;
    post(
        &client,
        format!("{api}/payments/topup"),
        json!({"user_id": "runner", "amount": 1_000}),
    )
    .await;
    let order = post(
        &client,
        format!("{api}/orders"),
        json!({"user_id": "runner", "amount": 250, "description": "a run"}),
    )
    .await;
    let id = order["id"].as_str().expect("an order id").to_owned();
    let settled = orderflow_system_tests::until(
        "the order settles",
        Duration::from_secs(60),
        || async {
            let order: Value = client
                .get(format!("{api}/orders/{id}"))
                .send()
                .await
                .expect("an answer")
                .json()
                .await
                .expect("JSON");
            order["status"].as_str().unwrap_or_default().to_owned()
        },
        |status| status != "NEW",
    )
    .await;
    assert_eq!(settled, "FINISHED");

    let second = tokio::task::block_in_place(|| run.start_another());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "a second run started: {said}");
    assert!(said.contains("another `cargo xtask run`"), "{said}");

    let status = tokio::task::block_in_place(|| run.interrupt());
    assert!(status.success(), "it exited with {status}");
    assert_eq!(
        run.leftovers(),
        Vec::<String>::new(),
        "processes left running"
    );
}
