//! Bad input a service rejects gets the right 4xx with a problem body
//! naming the field. What the gateway refuses by itself is in
//! `refused_by_the_gateway`, without the services.

use serde_json::json;

use crate::helpers::{TestGateway, unique_user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_and_negative_amounts_are_400_problems() {
    let gateway = TestGateway::start().await;
    let user = unique_user("amounts");
    gateway.create_account(&user).await.expect(201);
    for amount in [0, -1, i64::MIN] {
        let answer = gateway.create_order(&user, amount, "").await;
        let problem = answer.problem(400, "INVALID_ARGUMENT");
        assert_eq!(problem["field"], "amount", "the service names the field");
        let answer = gateway.top_up(&user, amount).await;
        let problem = answer.problem(400, "INVALID_ARGUMENT");
        assert_eq!(problem["field"], "amount", "the service names the field");
    }
    assert_eq!(gateway.balance(&user).await.expect(200)["balance"], 0);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_and_65_character_user_ids_are_400_problems() {
    let gateway = TestGateway::start().await;
    for user in [String::new(), "u".repeat(65), "has space".to_owned()] {
        let answer = gateway.create_account(&user).await;
        assert_eq!(answer.problem(400, "INVALID_ARGUMENT")["field"], "user_id");
        gateway
            .top_up(&user, 5)
            .await
            .problem(400, "INVALID_ARGUMENT");
        gateway
            .create_order(&user, 5, "")
            .await
            .problem(400, "INVALID_ARGUMENT");
    }
    let long = "u".repeat(65);
    gateway
        .list_orders(&long, 10, 0)
        .await
        .problem(400, "INVALID_ARGUMENT");
    gateway
        .balance(&long)
        .await
        .problem(400, "INVALID_ARGUMENT");
    gateway
        .list_orders("", 10, 0)
        .await
        .problem(400, "INVALID_ARGUMENT");
    // A user id of exactly 64 characters is fine.
    gateway.create_account(&"u".repeat(64)).await.expect(201);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_correlation_id_comes_back_on_answers_and_problems() {
    let gateway = TestGateway::start().await;
    let user = unique_user("traced");
    let opened = gateway
        .request(reqwest::Method::POST, "/api/payments/account")
        .header("x-correlation-id", "checkout-1234")
        .json(&json!({ "user_id": user }));
    let opened = gateway.send(opened).await;
    opened.expect(201);
    assert_eq!(opened.header("x-correlation-id"), "checkout-1234");

    let again = gateway
        .request(reqwest::Method::POST, "/api/payments/account")
        .header("x-correlation-id", "checkout-5678")
        .json(&json!({ "user_id": user }));
    let again = gateway.send(again).await;
    assert_eq!(
        again.problem(409, "ALREADY_EXISTS")["correlation_id"],
        "checkout-5678"
    );

    let generated = gateway.balance(&user).await;
    assert!(uuid::Uuid::parse_str(generated.header("x-correlation-id")).is_ok());
    gateway.stop().await;
}
