//! The last word on errors: an error response that is not a problem (an
//! empty 404 from Swagger UI's asset handler, a plain-text rejection from a
//! library layer) is answered as one, so every error the gateway sends is
//! `application/problem+json` (or a JSON document a handler of ours wrote
//! on purpose).

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{error::ApiError, problem::PROBLEM_JSON};

/// `response`, or the problem it stands for when it is an error without a
/// problem body.
pub(crate) fn rewrite(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&response) {
        return response;
    }
    tracing::debug!(%status, "an error response without a problem body; rewriting it");
    let mut rewritten = as_error(status).into_response();
    // What the original said about the connection and retries still holds.
    for name in [header::ALLOW, header::RETRY_AFTER, header::CONNECTION] {
        if let Some(value) = response.headers().get(&name) {
            rewritten.headers_mut().insert(name, value.clone());
        }
    }
    rewritten
}

/// Whether the response is a problem, or a JSON document a handler of ours
/// wrote on purpose.
fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(PROBLEM_JSON) || value.starts_with(JSON))
}

const JSON: &str = "application/json";

/// The error a bare `status` stands for.
fn as_error(status: StatusCode) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge,
        status => ApiError::Rejected(status),
    }
}

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, extract::Request, middleware::Next, routing::get};
    use tower::ServiceExt;

    use super::*;

    /// [`rewrite`] as a middleware, the way the router applies it.
    async fn middleware(request: Request, next: Next) -> Response {
        rewrite(next.run(request).await)
    }

    async fn answer(status: StatusCode, body: &'static str) -> Response {
        let router = Router::new()
            .route("/", get(move || async move { (status, body) }))
            .layer(axum::middleware::from_fn(middleware));
        let request = Request::get("/").body(Body::empty()).unwrap();
        router.oneshot(request).await.unwrap()
    }

    fn content_type(response: &Response) -> &str {
        response.headers()[header::CONTENT_TYPE].to_str().unwrap()
    }

    #[tokio::test]
    async fn empty_and_plain_text_errors_become_problems_with_their_status() {
        for (status, body) in [
            (StatusCode::NOT_FOUND, ""),
            (StatusCode::BAD_REQUEST, "Invalid URL"),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, ""),
            (StatusCode::SERVICE_UNAVAILABLE, "down"),
        ] {
            let response = answer(status, body).await;
            assert_eq!(response.status(), status);
            assert_eq!(content_type(&response), PROBLEM_JSON);
        }
    }

    #[tokio::test]
    async fn successes_problems_and_json_reports_pass_unchanged() {
        let ok = answer(StatusCode::OK, "fine").await;
        assert!(content_type(&ok).starts_with("text/plain"));
        let router = Router::new()
            .route(
                "/",
                get(|| async {
                    let report = serde_json::json!({ "status": "not_ready" });
                    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(report))
                }),
            )
            .layer(axum::middleware::from_fn(middleware));
        let request = Request::get("/").body(Body::empty()).unwrap();
        let report = router.oneshot(request).await.unwrap();
        assert_eq!(content_type(&report), JSON);
        let problem = ApiError::RouteNotFound.into_response();
        assert_eq!(content_type(&problem), PROBLEM_JSON);
    }
}
