//! The request body, read once at the edge: a declared `Content-Length` over
//! the limit is a 413 before a byte of the body is read; a body that grows
//! past the limit is a 413; a body that does not arrive in full within the
//! body-read timeout is a 408. Handlers get the body already in memory.

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::ApiError;

/// How much of a body the gateway reads, and for how long it waits for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyRules {
    pub(crate) limit_bytes: usize,
    pub(crate) read_timeout: Duration,
}

/// Reads the whole body under [`BodyRules`], then runs the rest of the
/// stack with the body in memory.
pub(crate) async fn read_body(
    State(rules): State<BodyRules>,
    request: Request,
    next: Next,
) -> Response {
    // A request without a body (every GET) has nothing to read or copy.
    if axum::body::HttpBody::is_end_stream(request.body()) {
        return next.run(request).await;
    }
    match buffer(rules, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn buffer(rules: BodyRules, request: Request) -> Result<Request, ApiError> {
    if declared_length(&request).is_some_and(|length| length > rules.limit_bytes as u64) {
        return Err(ApiError::BodyTooLarge);
    }
    let (parts, body) = request.into_parts();
    let collected = tokio::time::timeout(
        rules.read_timeout,
        Limited::new(body, rules.limit_bytes).collect(),
    )
    .await
    .map_err(|_elapsed| ApiError::BodyTimeout)?;
    let bytes = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(ApiError::BodyTooLarge);
        }
        Err(error) => return Err(ApiError::BodyUnreadable(error.to_string())),
    };
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The `Content-Length` the client declared, when it declared one.
fn declared_length(request: &Request) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use axum::{Router, routing::post};
    use tower::ServiceExt;

    use super::*;

    fn echo(rules: BodyRules) -> Router {
        Router::new()
            .route("/", post(|body: String| async move { body }))
            .layer(axum::middleware::from_fn_with_state(rules, read_body))
    }

    const RULES: BodyRules = BodyRules {
        limit_bytes: 8,
        read_timeout: Duration::from_millis(100),
    };

    #[tokio::test]
    async fn a_body_within_the_limit_reaches_the_handler() {
        let request = Request::post("/").body(Body::from("12345678")).unwrap();
        let response = echo(RULES).oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
    }

    #[tokio::test]
    async fn a_body_past_the_limit_without_a_declared_length_is_a_413() {
        let stream = futures::stream::iter([Ok::<_, std::io::Error>("123456789")]);
        let request = Request::post("/").body(Body::from_stream(stream)).unwrap();
        let response = echo(RULES).oneshot(request).await.unwrap();
        assert_eq!(response.status(), 413);
    }

    #[tokio::test]
    async fn a_body_that_never_ends_is_a_408() {
        let stream = futures::stream::pending::<Result<&'static str, std::io::Error>>();
        let request = Request::post("/").body(Body::from_stream(stream)).unwrap();
        let response = echo(RULES).oneshot(request).await.unwrap();
        assert_eq!(response.status(), 408);
    }
}
