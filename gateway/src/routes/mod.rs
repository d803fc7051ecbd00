//! The HTTP routes: the REST API (documented in OpenAPI), the probes, and
//! problem answers for paths and methods that do not exist.

pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod orders;
pub(crate) mod payments;
pub(crate) mod trace;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ApiError, shed, state::AppState};

/// Every documented route, with its OpenAPI paths. The calls to the
/// services share at most `max_concurrent` permits ([`crate::shed`]);
/// event streams and probes do not count.
pub(crate) fn documented(max_concurrent: usize) -> OpenApiRouter<AppState> {
    let limited = OpenApiRouter::new()
        .routes(routes!(orders::create_order, orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(trace::order_trace))
        .routes(routes!(payments::create_account))
        .routes(routes!(payments::top_up))
        .routes(routes!(payments::get_balance))
        .route_layer(shed::layer(max_concurrent));
    OpenApiRouter::new()
        .merge(limited)
        .routes(routes!(events::order_events))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// The answer for a path no route has.
pub(crate) async fn route_not_found() -> ApiError {
    ApiError::RouteNotFound
}

/// The answer for a method a path does not have.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests;
