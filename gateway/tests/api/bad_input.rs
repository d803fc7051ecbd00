//! Bad input gets the right 4xx with a problem body, whether the gateway or
//! a service rejects it.

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
async fn an_amount_past_i64_is_a_400_naming_the_amount() {
    let gateway = TestGateway::start().await;
    for path in ["/api/orders", "/api/payments/topup"] {
        for amount in ["9223372036854775808", "100000000000000000000000", "1.5"] {
            let body = format!(r#"{{"user_id":"alice","amount":{amount}}}"#);
            let answer = gateway.post_raw(path, "application/json", &body).await;
            assert_eq!(answer.problem(400, "INVALID_ARGUMENT")["field"], "amount");
        }
    }
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
async fn malformed_json_and_wrong_content_types_are_400_problems() {
    let gateway = TestGateway::start().await;
    for path in [
        "/api/orders",
        "/api/payments/account",
        "/api/payments/topup",
    ] {
        for broken in [r#"{"user_id": "a""#, "{user_id: a}", "user_id=a", "", "[]"] {
            let answer = gateway.post_raw(path, "application/json", broken).await;
            answer.problem(400, "MALFORMED_JSON");
        }
        let valid = r#"{"user_id":"a","amount":1}"#;
        for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
            let answer = gateway.post_raw(path, content_type, valid).await;
            let problem = answer.problem(400, "UNSUPPORTED_CONTENT_TYPE");
            assert_eq!(problem["field"], "Content-Type");
        }
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_missing_fields_are_400_problems_naming_them() {
    let gateway = TestGateway::start().await;
    let cases = [
        (
            "/api/orders",
            json!({ "user_id": "a", "amount": 1, "currency": "EUR" }),
            "currency",
        ),
        (
            "/api/orders",
            json!({ "user_id": "a", "description": "no amount" }),
            "amount",
        ),
        (
            "/api/orders",
            json!({ "user_id": "a", "amount": "12" }),
            "amount",
        ),
        ("/api/payments/topup", json!({ "user_id": "a" }), "amount"),
        ("/api/payments/account", json!({ "user": "a" }), "user"),
        ("/api/payments/account", json!({}), "user_id"),
    ];
    for (path, body, field) in cases {
        let answer = gateway.post_json(path, body.clone()).await;
        let problem = answer.problem(400, "INVALID_ARGUMENT");
        assert_eq!(problem["field"], field, "{path} {body}: {problem}");
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_outside_1_to_100_and_negative_offsets_are_400_problems() {
    let gateway = TestGateway::start().await;
    for (limit, offset, field) in [
        (0, 0, "limit"),
        (1000, 0, "limit"),
        (101, 0, "limit"),
        (10, -1, "offset"),
    ] {
        let answer = gateway.list_orders("alice", limit, offset).await;
        assert_eq!(answer.problem(400, "INVALID_ARGUMENT")["field"], field);
    }
    gateway.list_orders("alice", 100, 0).await.expect(200);
    gateway.list_orders("alice", 1, 0).await.expect(200);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_uuid_order_id_is_a_400_problem() {
    let gateway = TestGateway::start().await;
    for id in ["42", "not-a-uuid", "0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9"] {
        let answer = gateway.get_order(id).await;
        assert_eq!(answer.problem(400, "INVALID_ARGUMENT")["field"], "id");
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_x_user_id_that_contradicts_the_request_is_a_400_problem() {
    let gateway = TestGateway::start().await;
    let user = unique_user("owner");
    gateway.create_account(&user).await.expect(201);
    let requests = [
        gateway
            .request(reqwest::Method::POST, "/api/payments/topup")
            .json(&json!({ "user_id": user, "amount": 5 })),
        gateway.request(
            reqwest::Method::GET,
            &format!("/api/payments/balance/{user}"),
        ),
        gateway.request(reqwest::Method::GET, &format!("/api/orders?user_id={user}")),
        gateway
            .request(reqwest::Method::POST, "/api/orders")
            .json(&json!({ "user_id": user, "amount": 5 })),
    ];
    for request in requests {
        let answer = gateway.send(request.header("x-user-id", "intruder")).await;
        assert_eq!(answer.problem(400, "USER_ID_CONFLICT")["field"], "user_id");
    }
    assert_eq!(gateway.balance(&user).await.expect(200)["balance"], 0);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_different_x_user_id_headers_are_a_400_problem() {
    let gateway = TestGateway::start().await;
    let user = unique_user("twice");
    gateway.funded_account(&user, 100).await;
    let requests = [
        gateway.request(reqwest::Method::GET, "/api/orders"),
        gateway
            .request(reqwest::Method::POST, "/api/orders")
            .json(&json!({ "amount": 5 })),
        gateway
            .request(reqwest::Method::POST, "/api/payments/topup")
            .json(&json!({ "amount": 5 })),
    ];
    for request in requests {
        let request = request
            .header("x-user-id", user.as_str())
            .header("x-user-id", "intruder");
        let answer = gateway.send(request).await;
        assert_eq!(answer.problem(400, "USER_ID_CONFLICT")["field"], "user_id");
    }
    assert_eq!(gateway.balance(&user).await.expect(200)["balance"], 100);
    gateway.stop().await;
}
