//! The router driven in-process with `oneshot`, with both services pointed
//! at a closed port: everything the gateway decides by itself.

use axum::{
    Router,
    body::{Body, to_bytes},
    http::{Request, StatusCode, header},
};
use orderflow_devstack::closed_port_url;
use serde_json::Value;
use tower::ServiceExt;

use crate::{Config, startup::router};

fn gateway() -> Router {
    let url = closed_port_url();
    let config = Config {
        orders_url: url.clone(),
        payments_url: url,
        body_limit_bytes: 1024,
        ..Config::local()
    };
    router(&config).unwrap()
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn send(request: Request<Body>) -> Answer {
    let response = gateway().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

async fn post(path: &str, content_type: &str, body: &str) -> Answer {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .unwrap();
    send(request).await
}

async fn get(path: &str) -> Answer {
    send(Request::get(path).body(Body::empty()).unwrap()).await
}

/// Asserts a problem answer and returns its body.
fn problem(answer: &Answer, status: u16, code: &str) -> Value {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    assert_eq!(answer.body["status"], status);
    let correlation = answer.headers["x-correlation-id"].to_str().unwrap();
    assert_eq!(answer.body["correlation_id"], correlation);
    answer.body.clone()
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_400_naming_the_content_type() {
    let answer = post("/api/orders", "text/plain", r#"{"amount":1}"#).await;
    let body = problem(&answer, 400, "UNSUPPORTED_CONTENT_TYPE");
    assert_eq!(body["field"], "Content-Type");
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let answer = post("/api/orders", "application/json", r#"{"amount": 1"#).await;
    problem(&answer, 400, "MALFORMED_JSON");
}

#[tokio::test]
async fn unknown_missing_and_oversized_fields_are_named() {
    let cases = [
        (r#"{"user_id":"a","amount":1,"colour":"red"}"#, "colour"),
        (r#"{"user_id":"a","description":"x"}"#, "amount"),
        (r#"{"user_id":"a","amount":9223372036854775808}"#, "amount"),
        (r#"{"user_id":7,"amount":1}"#, "user_id"),
    ];
    for (json, field) in cases {
        let answer = post("/api/orders", "application/json", json).await;
        assert_eq!(
            problem(&answer, 400, "INVALID_ARGUMENT")["field"],
            field,
            "{json}"
        );
    }
}

#[tokio::test]
async fn a_missing_user_is_a_400_naming_user_id() {
    let answer = post("/api/payments/account", "application/json", "{}").await;
    assert_eq!(
        problem(&answer, 400, "INVALID_ARGUMENT")["field"],
        "user_id"
    );
}

#[tokio::test]
async fn a_user_id_header_that_contradicts_the_body_is_a_400() {
    let request = Request::post("/api/payments/topup")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-user-id", "alice")
        .body(Body::from(r#"{"user_id":"bob","amount":5}"#))
        .unwrap();
    let answer = send(request).await;
    assert_eq!(
        problem(&answer, 400, "USER_ID_CONFLICT")["field"],
        "user_id"
    );
}

#[tokio::test]
async fn limits_outside_1_to_100_and_negative_offsets_are_400s() {
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
    ] {
        let answer = get(&format!("/api/orders?user_id=alice&{query}")).await;
        assert_eq!(
            problem(&answer, 400, "INVALID_ARGUMENT")["field"],
            field,
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_non_uuid_order_id_is_a_400() {
    let answer = get("/api/orders/not-a-uuid").await;
    assert_eq!(problem(&answer, 400, "INVALID_ARGUMENT")["field"], "id");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let description = "x".repeat(2048);
    let json = format!(r#"{{"user_id":"a","amount":1,"description":"{description}"}}"#);
    let answer = post("/api/orders", "application/json", &json).await;
    problem(&answer, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problems() {
    problem(&get("/api/nothing").await, 404, "ROUTE_NOT_FOUND");
    let delete = Request::delete("/api/orders").body(Body::empty()).unwrap();
    problem(&send(delete).await, 405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn a_service_that_is_down_is_a_503_problem() {
    let started = std::time::Instant::now();
    let answer = get("/api/orders/0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9d").await;
    let body = problem(&answer, 503, "UNAVAILABLE");
    assert_eq!(body["detail"], "the orders service is unavailable");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

#[tokio::test]
async fn the_clients_correlation_id_is_returned() {
    let request = Request::get("/api/orders?limit=0&user_id=a")
        .header("x-correlation-id", "checkout-7")
        .body(Body::empty())
        .unwrap();
    let answer = send(request).await;
    assert_eq!(answer.headers["x-correlation-id"], "checkout-7");
    assert_eq!(answer.body["correlation_id"], "checkout-7");
}

#[tokio::test]
async fn liveness_is_up_and_readiness_reports_the_unreachable_services() {
    let live = get("/healthz").await;
    assert_eq!(
        (live.status, &live.body["status"]),
        (StatusCode::OK, &"ok".into())
    );
    let ready = get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert_eq!(ready.body["code"], "NOT_READY");
    assert_eq!(
        ready.body["detail"],
        "not ready: the orders service is UNREACHABLE, the payments service is UNREACHABLE"
    );
}

#[tokio::test]
async fn the_root_redirects_to_swagger_ui_which_is_served_locally() {
    let root = get("/").await;
    assert!(root.status.is_redirection());
    assert_eq!(root.headers[header::LOCATION], "/swagger/");
    let response = gateway()
        .oneshot(Request::get("/swagger/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert!(String::from_utf8_lossy(&html).contains("swagger-ui"));
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let document = get("/openapi.json").await.body;
    for path in [
        "/api/orders",
        "/api/orders/{id}",
        "/api/payments/account",
        "/api/payments/topup",
        "/api/payments/balance/{userId}",
        "/healthz",
        "/readyz",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is missing");
    }
}

#[tokio::test]
async fn the_spa_origin_may_call_the_api() {
    let preflight = Request::options("/api/orders")
        .header(header::ORIGIN, "http://localhost:5173")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type,x-user-id",
        )
        .body(Body::empty())
        .unwrap();
    let answer = send(preflight).await;
    assert!(answer.status.is_success(), "{}", answer.status);
    assert_eq!(
        answer.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "http://localhost:5173"
    );
}
