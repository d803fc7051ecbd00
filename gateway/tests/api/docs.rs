//! The OpenAPI document and Swagger UI, served by the gateway itself.

use oas3::spec::{ObjectOrReference, Schema};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestGateway;

/// Every endpoint: method, path, whether it takes a JSON body, its success
/// status and media type.
const ENDPOINTS: [(Method, &str, bool, &str, &str); 10] = [
    (Method::POST, "/api/orders", true, "202", JSON),
    (Method::GET, "/api/orders", false, "200", JSON),
    (Method::GET, "/api/orders/{id}", false, "200", JSON),
    (
        Method::GET,
        "/api/orders/{id}/events",
        false,
        "200",
        EVENT_STREAM,
    ),
    (Method::GET, "/api/orders/{id}/trace", false, "200", JSON),
    (Method::POST, "/api/payments/account", true, "201", JSON),
    (Method::POST, "/api/payments/topup", true, "200", JSON),
    (
        Method::GET,
        "/api/payments/balance/{userId}",
        false,
        "200",
        JSON,
    ),
    (Method::GET, "/healthz", false, "200", JSON),
    (Method::GET, "/readyz", false, "200", JSON),
];
const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream";

/// The properties of `schema`, following its `$ref`.
fn properties(schema: &Schema, spec: &oas3::Spec) -> Vec<String> {
    match schema.resolve(spec).expect("the schema's $ref resolves") {
        Schema::Object(object) => match *object {
            ObjectOrReference::Object(object) => {
                for property in object.properties.values() {
                    property.resolve(spec).expect("a property's $ref resolves");
                }
                object.properties.keys().cloned().collect()
            }
            ObjectOrReference::Ref { ref_path, .. } => panic!("unresolved {ref_path}"),
        },
        Schema::Boolean(_) => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_validates_and_lists_every_endpoint_with_its_schemas() {
    let gateway = TestGateway::without_services().await;
    let answer = gateway.get("/openapi.json").await;
    answer.expect(200);
    let spec = oas3::from_json(&answer.text).expect("an OpenAPI 3.1 document");
    let version = spec
        .validate_version()
        .expect("a supported OpenAPI version");
    assert_eq!((version.major, version.minor), (3, 1));
    assert_eq!(spec.operations().count(), ENDPOINTS.len());

    for (method, path, has_body, success, media) in ENDPOINTS {
        let operation = spec
            .operation(&method, path)
            .unwrap_or_else(|| panic!("{method} {path} is not documented"));
        let responses = operation.responses(&spec);
        let ok = responses
            .get(success)
            .unwrap_or_else(|| panic!("{method} {path} documents no {success}"));
        let schema = ok.content[media].schema.as_ref().expect("a schema");
        assert!(
            !properties(schema, &spec).is_empty(),
            "{method} {path}: empty answer"
        );
        for (status, response) in &responses {
            if path.starts_with("/api") && (status.starts_with('4') || status.starts_with('5')) {
                let problem = &response.content["application/problem+json"];
                let fields = properties(problem.schema.as_ref().expect("a schema"), &spec);
                for field in [
                    "type",
                    "title",
                    "status",
                    "code",
                    "detail",
                    "correlation_id",
                ] {
                    assert!(
                        fields.iter().any(|f| f == field),
                        "{method} {path} {status}: {field}"
                    );
                }
            }
        }
        let body = operation
            .request_body(&spec)
            .expect("the request body resolves");
        assert_eq!(body.is_some(), has_body, "{method} {path}");
        if let Some(body) = body {
            let schema = body.content["application/json"]
                .schema
                .as_ref()
                .expect("a schema");
            assert!(
                properties(schema, &spec)
                    .iter()
                    .any(|field| field == "user_id")
            );
        }
    }
    for path in [
        "/api/orders",
        "/api/payments/topup",
        "/api/payments/account",
    ] {
        let document: serde_json::Value = serde_json::from_str(&answer.text).expect("JSON");
        let post = &document["paths"][path]["post"];
        let key = post["parameters"]
            .as_array()
            .and_then(|params| params.iter().find(|p| p["name"] == "Idempotency-Key"))
            .unwrap_or_else(|| panic!("{path} documents no Idempotency-Key"));
        assert_eq!(key["in"], "header");
        assert_eq!(key["schema"]["maxLength"], 255, "{key}");
        assert!(post["responses"]["422"].is_object(), "{path}: no 422");
        let replayed = post["responses"].as_object().and_then(|responses| {
            responses
                .values()
                .find_map(|response| response["headers"].get("Idempotent-Replayed"))
        });
        assert!(replayed.is_some(), "{path}: no Idempotent-Replayed header");
    }
    let order = spec.components.as_ref().expect("components").schemas["Order"].clone();
    let order = properties(&order, &spec);
    for field in [
        "id",
        "user_id",
        "amount",
        "description",
        "status",
        "failure_reason",
        "created_at",
        "updated_at",
    ] {
        assert!(order.iter().any(|f| f == field), "Order lacks {field}");
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_loads_from_the_gateway_with_its_assets() {
    let gateway = TestGateway::without_services().await;
    // `/` redirects to Swagger UI (reqwest follows the redirect).
    let page = gateway.get("/").await;
    page.expect(200);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(
        page.text.contains(r#"<div id="swagger-ui">"#),
        "{}",
        page.text
    );

    let scripts: Vec<&str> = page
        .text
        .split(r#"<script src=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(scripts.contains(&"./swagger-ui-bundle.js"), "{scripts:?}");
    for script in scripts {
        let asset = gateway
            .get(&format!("/swagger/{}", script.trim_start_matches("./")))
            .await;
        assert_eq!(asset.status, 200, "{script}");
        assert!(
            asset.header("content-type").contains("javascript"),
            "{script}"
        );
        assert!(!asset.text.contains("unpkg.com") && !asset.text.contains("cdn.jsdelivr"));
    }
    let initializer = gateway.get("/swagger/swagger-initializer.js").await;
    assert!(
        initializer.text.contains(r#""url": "/openapi.json""#),
        "{}",
        initializer.text
    );
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_states_the_constraints_the_api_enforces() {
    let gateway = TestGateway::without_services().await;
    let document = gateway.get("/openapi.json").await.expect(200).clone();
    let user_id = json!({ "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$" });
    let amount = json!({ "minimum": 1 });

    let schemas = &document["components"]["schemas"];
    for (schema, property, constraints) in [
        ("CreateOrder", "user_id", &user_id),
        ("CreateOrder", "amount", &amount),
        ("CreateAccount", "user_id", &user_id),
        ("TopUp", "user_id", &user_id),
        ("TopUp", "amount", &amount),
    ] {
        let stated = &schemas[schema]["properties"][property];
        assert_states(stated, constraints, &format!("{schema}.{property}"));
    }

    let limit = json!({ "minimum": 1, "maximum": 100 });
    let offset = json!({ "minimum": 0 });
    for (path, method, parameter, constraints) in [
        ("/api/orders", "get", "user_id", &user_id),
        ("/api/orders", "get", "X-User-Id", &user_id),
        ("/api/orders", "get", "limit", &limit),
        ("/api/orders", "get", "offset", &offset),
        ("/api/orders", "post", "X-User-Id", &user_id),
        ("/api/payments/account", "post", "X-User-Id", &user_id),
        ("/api/payments/topup", "post", "X-User-Id", &user_id),
        ("/api/payments/balance/{userId}", "get", "userId", &user_id),
        (
            "/api/payments/balance/{userId}",
            "get",
            "X-User-Id",
            &user_id,
        ),
    ] {
        let parameters = document["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} has no parameters"));
        let stated = parameters
            .iter()
            .find(|p| p["name"] == parameter)
            .unwrap_or_else(|| panic!("{method} {path} has no {parameter}"));
        assert_states(
            &stated["schema"],
            constraints,
            &format!("{method} {path} {parameter}"),
        );
    }
    gateway.stop().await;
}

/// Asserts that `schema` carries each keyword of `constraints` with its value.
fn assert_states(schema: &Value, constraints: &Value, what: &str) {
    for (keyword, value) in constraints.as_object().expect("an object") {
        assert_eq!(&schema[keyword], value, "{what}: {keyword} in {schema}");
    }
}
