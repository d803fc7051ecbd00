//! `GET /api/orders/{id}/trace`: the order's trace, from Jaeger's query API.

use axum::{Json, extract::State};
use orderflow_proto::orders::v1::GetOrderRequest;

use crate::{
    error::ApiError,
    extract::ApiPath,
    jaeger::{Jaeger, TraceView},
    problem::Problem,
    routes::orders::order_id,
    upstream::{Service, Upstreams},
};

/// The order's trace: every span across the gateway, orders, Kafka and
/// payments, earliest first, as Jaeger has it, found by the `order_id`
/// the orders service records when it places the order. With
/// `JAEGER_UI_URL` set, `jaeger_url` links to the trace in Jaeger's UI.
/// Spans reach Jaeger a few seconds after the work: until then the answer
/// is a 404 `TRACE_NOT_FOUND`.
#[utoipa::path(
    get,
    path = "/api/orders/{id}/trace",
    tag = "orders",
    params(("id" = String, Path, format = "uuid", description = "The order's id")),
    responses(
        (status = 200, description = "The order's trace", body = TraceView),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`NOT_FOUND`: no such order; `TRACE_NOT_FOUND`: Jaeger has no trace of it (yet)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`TRACING_DISABLED`: tracing is off (no `JAEGER_QUERY_URL`); `TRACING_UNAVAILABLE`: Jaeger did not answer; `UNAVAILABLE`: the orders service is down; `OVERLOADED`: the gateway serves as many requests as it may, retry after `Retry-After`", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "With `OVERLOADED`: seconds to wait before retrying"))),
    )
)]
pub(crate) async fn order_trace(
    State(upstreams): State<Upstreams>,
    State(jaeger): State<Option<Jaeger>>,
    ApiPath(id): ApiPath,
) -> Result<Json<TraceView>, ApiError> {
    let id = order_id(&id)?;
    let jaeger = jaeger.ok_or(ApiError::TracingDisabled)?;
    // An unknown order is a 404 NOT_FOUND, not a missing trace.
    let request = upstreams.request(GetOrderRequest { id: id.to_string() });
    upstreams
        .call(Service::Orders, upstreams.orders().get_order(request))
        .await?;
    let trace = jaeger
        .order_trace(id)
        .await
        .map_err(ApiError::TracingUnavailable)?;
    trace.map(Json).ok_or(ApiError::TraceNotFound(id))
}
