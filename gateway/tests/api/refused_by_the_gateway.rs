//! Requests the gateway refuses by itself (bad JSON, bad ids, missing or
//! unknown fields, wrong content type, contradicting users): the right 4xx
//! problem, without a call to a service. The gateway runs in front of ports
//! where nothing listens, so no service is started, and a request it passed
//! on would be a 503 `UNAVAILABLE` instead.

use serde_json::json;

use crate::helpers::TestGateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amount_past_i64_is_a_400_naming_the_amount() {
    let gateway = TestGateway::without_services().await;
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
async fn malformed_json_and_wrong_content_types_are_400_problems() {
    let gateway = TestGateway::without_services().await;
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
    let gateway = TestGateway::without_services().await;
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
    let gateway = TestGateway::without_services().await;
    for (limit, offset, field) in [
        (0, 0, "limit"),
        (1000, 0, "limit"),
        (101, 0, "limit"),
        (10, -1, "offset"),
    ] {
        let answer = gateway.list_orders("alice", limit, offset).await;
        assert_eq!(answer.problem(400, "INVALID_ARGUMENT")["field"], field);
    }
    // The bounds themselves are passed on to the service (down here).
    gateway
        .list_orders("alice", 100, 0)
        .await
        .problem(503, "UNAVAILABLE");
    gateway
        .list_orders("alice", 1, 0)
        .await
        .problem(503, "UNAVAILABLE");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_uuid_order_id_is_a_400_problem() {
    let gateway = TestGateway::without_services().await;
    for id in ["42", "not-a-uuid", "0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9"] {
        let answer = gateway.get_order(id).await;
        assert_eq!(answer.problem(400, "INVALID_ARGUMENT")["field"], "id");
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_x_user_id_that_contradicts_the_request_is_a_400_problem() {
    let gateway = TestGateway::without_services().await;
    let user = "owner";
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
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_different_x_user_id_headers_are_a_400_problem() {
    let gateway = TestGateway::without_services().await;
    let user = "twice";
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
            .header("x-user-id", user)
            .header("x-user-id", "intruder");
        let answer = gateway.send(request).await;
        assert_eq!(answer.problem(400, "USER_ID_CONFLICT")["field"], "user_id");
    }
    gateway.stop().await;
}
