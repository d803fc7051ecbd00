//! The HTTP routes: the REST API (documented in OpenAPI), the probes, and
//! problem answers for paths and methods that do not exist.

pub mod events;
pub mod health;
pub mod orders;
pub mod payments;
pub mod trace;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ApiError, state::AppState};

/// Every documented route, with its OpenAPI paths.
pub fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(orders::create_order, orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(events::order_events))
        .routes(routes!(trace::order_trace))
        .routes(routes!(payments::create_account))
        .routes(routes!(payments::top_up))
        .routes(routes!(payments::get_balance))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// The answer for a path no route has.
pub async fn route_not_found() -> ApiError {
    ApiError::RouteNotFound
}

/// The answer for a method a path does not have.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests;
