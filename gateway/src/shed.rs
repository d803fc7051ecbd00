//! Load shedding: at most `MAX_CONCURRENT_REQUESTS` API requests are served
//! at once; one more is answered at once with 503 `OVERLOADED` and
//! `Retry-After`, instead of queueing until its deadline turns it into a 504.
//!
//! Built from tower's parts: a [`GlobalConcurrencyLimitLayer`] (one
//! semaphore shared by every limited route) under a [`LoadShedLayer`]
//! (refuse instead of waiting for a permit), with the refusal mapped to
//! [`ApiError::Overloaded`].
//!
//! What counts: the API routes that call a service (or Jaeger), from the
//! moment the body has been read until the response's head is ready. What
//! does not count: event streams, the probes, `/metrics`, the OpenAPI
//! document, Swagger UI and the SPA. A stream lives up to `SSE_MAX_SECS`,
//! bounded by that lifetime and by the orders service's watch; a client
//! following its order must still get its stream while the limit is full
//! (refused, it would fall back to polling, which adds load). A body that
//! is slow to arrive holds no permit either: bodies are read before the
//! limit is asked.

use std::convert::Infallible;

use axum::{BoxError, error_handling::HandleErrorLayer, routing::Route};
use tower::{
    Layer, ServiceBuilder,
    limit::GlobalConcurrencyLimitLayer,
    load_shed::{LoadShedLayer, error::Overloaded},
};

use crate::error::ApiError;

/// What a shed client is told to wait before retrying, in seconds.
pub(crate) const RETRY_AFTER_SECS: u32 = 1;

/// The limit's layer for the routes that count; every route it is applied
/// to shares the same `max` permits.
pub(crate) fn layer(
    max: usize,
) -> impl Layer<
    Route,
    Service: tower::Service<
        axum::extract::Request,
        Response = axum::response::Response,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
                 + Send
                 + Sync
                 + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    ServiceBuilder::new()
        .layer(HandleErrorLayer::new(refusal))
        .layer(LoadShedLayer::new())
        .layer(GlobalConcurrencyLimitLayer::new(max))
}

/// The answer to a request the limit refused.
async fn refusal(error: BoxError) -> ApiError {
    if error.is::<Overloaded>() {
        ApiError::Overloaded
    } else {
        ApiError::Unexpected(anyhow::anyhow!("the concurrency limit failed: {error}"))
    }
}
