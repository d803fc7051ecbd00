//! The OpenAPI 3.1 document, generated from the handlers' annotations, served
//! at `/openapi.json`, and Swagger UI at `/swagger/` from assets compiled
//! into the binary (no CDN).

use axum::Router;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{constraints, problem::Problem, routes, state::AppState};

/// Where the document is served.
pub(crate) const DOCUMENT_PATH: &str = "/openapi.json";
/// Where Swagger UI is served.
pub(crate) const SWAGGER_PATH: &str = "/swagger";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "orderflow gateway",
        description = "The public REST API of orderflow. Orders are paid asynchronously: create \
an order, then follow it until it is FINISHED or CANCELLED: poll it, or read its Server-Sent \
Events at `/api/orders/{id}/events`. Amounts are integers in minor units. \
Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`, a \
`detail` and the request's `correlation_id`. Every response carries `X-Correlation-Id`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "orders", description = "Create and read orders"),
        (name = "payments", description = "Accounts and balances"),
        (name = "health", description = "Liveness and readiness probes"),
    ),
    components(schemas(Problem))
)]
struct ApiDoc;

/// The documented routes, sharing `max_concurrent` permits, and the
/// document that describes them. The document states the constraints the
/// handlers enforce ([`constraints`]).
pub(crate) fn split(max_concurrent: usize) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) =
        utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
            .merge(routes::documented(max_concurrent))
            .split_for_parts();
    constraints::state(&mut document);
    (router, document)
}

/// `/openapi.json` and Swagger UI showing it.
pub(crate) fn swagger(document: utoipa::openapi::OpenApi) -> Router<AppState> {
    SwaggerUi::new(SWAGGER_PATH)
        .url(DOCUMENT_PATH, document)
        .into()
}
