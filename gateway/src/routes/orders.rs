//! `/api/orders`: create an order, read one, list a user's orders.

use anyhow::Context;
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use orderflow_proto::orders::v1::{CreateOrderRequest, GetOrderRequest, ListOrdersRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    error::ApiError,
    extract::{ApiJson, ApiPath, ApiQuery, UserIdHeader},
    idempotency::{self, Answer, IdempotencyKeyHeader},
    model::{CreateOrder, OrderPage, OrderView},
    problem::Problem,
    upstream::{Service, Upstreams},
};

/// The page size when none is asked for.
const DEFAULT_LIMIT: i32 = 20;
/// The page sizes a client may ask for (stated in the OpenAPI document by
/// [`crate::constraints`]).
pub(crate) const LIMITS: std::ops::RangeInclusive<i32> = 1..=100;
/// The offsets a client may ask for.
pub(crate) const OFFSETS: std::ops::RangeInclusive<i32> = 0..=i32::MAX;

/// Creates an order with status `NEW`; the payment happens asynchronously,
/// so poll the order at `Location` until it is `FINISHED` or `CANCELLED`.
///
/// Send an `Idempotency-Key` to make retries safe: a repeat with the same key
/// and body creates nothing and returns the first answer (the same order, as
/// it was then) with `Idempotent-Replayed: true`.
#[utoipa::path(
    post,
    path = "/api/orders",
    tag = "orders",
    params(
        ("X-User-Id" = Option<String>, Header, description = "The user, instead of `user_id` in the body"),
        ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY_DOC,
            min_length = 1, max_length = 255, pattern = r"^[\x21-\x7E]+$"),
    ),
    request_body = CreateOrder,
    responses(
        (status = 202, description = "The order, accepted for payment (or, for a repeated key, the first answer)", body = OrderView,
            headers(
                ("Location" = String, description = "The order's URL"),
                ("Idempotent-Replayed" = bool, description = "`true` when this repeats the stored answer to an earlier request with the same Idempotency-Key"),
            )),
        (status = 400, description = "Invalid input, or an invalid Idempotency-Key (`field` is `Idempotency-Key`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`IDEMPOTENCY_KEY_REUSED`: the Idempotency-Key was already used for a different request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`UNAVAILABLE`: the orders service is down; `OVERLOADED`: the gateway serves as many requests as it may, retry after `Retry-After`", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "With `OVERLOADED`: seconds to wait before retrying"))),
    )
)]
pub(crate) async fn create_order(
    State(upstreams): State<Upstreams>,
    user: UserIdHeader,
    key: IdempotencyKeyHeader,
    ApiJson(body): ApiJson<CreateOrder>,
) -> Result<impl IntoResponse, ApiError> {
    let user_id = user.resolve(body.user_id, "body")?;
    let request = upstreams.request(CreateOrderRequest {
        user_id,
        amount: body.amount,
        description: body.description,
        idempotency_key: key.into_field(),
    });
    let mut orders = upstreams.orders();
    let (replay, created) =
        idempotency::call(&upstreams, Service::Orders, orders.create_order(request)).await?;
    let order = OrderView::try_from(created.order.context("CreateOrder returned no order")?)?;
    let location = format!("/api/orders/{}", order.id);
    Ok(Answer(
        replay,
        (
            StatusCode::ACCEPTED,
            [(header::LOCATION, location)],
            Json(order),
        ),
    ))
}

/// The `Idempotency-Key` header, as every POST that takes it documents it.
pub(crate) const IDEMPOTENCY_KEY_DOC: &str = "Optional: 1 to 255 visible ASCII characters naming this \
attempt, so it may be retried safely. Scoped per user, kept 24 hours. A repeat with the same key \
and request does nothing and gets the first answer with `Idempotent-Replayed: true`; the same key \
with a different request is a 422 `IDEMPOTENCY_KEY_REUSED`; a repeat while the first is still \
running waits for the first answer.";

/// One order, with its current status and failure reason.
#[utoipa::path(
    get,
    path = "/api/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, format = "uuid", description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`UNAVAILABLE`: the orders service is down; `OVERLOADED`: the gateway serves as many requests as it may, retry after `Retry-After`", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "With `OVERLOADED`: seconds to wait before retrying"))),
    )
)]
pub(crate) async fn get_order(
    State(upstreams): State<Upstreams>,
    ApiPath(id): ApiPath,
) -> Result<Json<OrderView>, ApiError> {
    let id = order_id(&id)?;
    let request = upstreams.request(GetOrderRequest { id: id.to_string() });
    let mut orders = upstreams.orders();
    let found = upstreams
        .call(Service::Orders, orders.get_order(request))
        .await?;
    let order = found.order.context("GetOrder returned no order")?;
    Ok(Json(OrderView::try_from(order)?))
}

/// An order id from the path: a UUID.
pub(crate) fn order_id(id: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(id).map_err(|_| ApiError::InvalidField {
        field: "id".to_owned(),
        detail: format!("order id {id:?} is not a UUID"),
    })
}

/// The query of `GET /api/orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListOrdersQuery {
    /// Whose orders to list; may be given as `X-User-Id` instead.
    user_id: Option<String>,
    /// Page size, 1 to 100.
    #[param(value_type = Option<i32>, default = 20)]
    limit: Option<String>,
    /// How many orders to skip.
    #[param(value_type = Option<i32>, default = 0)]
    offset: Option<String>,
}

/// A user's orders, newest first, one page at a time.
#[utoipa::path(
    get,
    path = "/api/orders",
    tag = "orders",
    params(
        ListOrdersQuery,
        ("X-User-Id" = Option<String>, Header, description = "The user, instead of `user_id` in the query"),
    ),
    responses(
        (status = 200, description = "One page of orders and the total", body = OrderPage),
        (status = 400, description = "Invalid user, limit or offset", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`UNAVAILABLE`: the orders service is down; `OVERLOADED`: the gateway serves as many requests as it may, retry after `Retry-After`", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "With `OVERLOADED`: seconds to wait before retrying"))),
    )
)]
pub(crate) async fn list_orders(
    State(upstreams): State<Upstreams>,
    user: UserIdHeader,
    ApiQuery(query): ApiQuery<ListOrdersQuery>,
) -> Result<Json<OrderPage>, ApiError> {
    let user_id = user.resolve(query.user_id, "query")?;
    let limit = bounded("limit", query.limit, DEFAULT_LIMIT, LIMITS)?;
    let offset = bounded("offset", query.offset, 0, OFFSETS)?;
    let request = upstreams.request(ListOrdersRequest {
        user_id,
        limit,
        offset,
    });
    let mut orders = upstreams.orders();
    let page = upstreams
        .call(Service::Orders, orders.list_orders(request))
        .await?;
    let items = page
        .orders
        .into_iter()
        .map(OrderView::try_from)
        .collect::<anyhow::Result<_>>()?;
    Ok(Json(OrderPage {
        items,
        total: page.total,
        limit,
        offset,
    }))
}

/// A query integer within `range`, or `default` when absent.
fn bounded(
    field: &str,
    value: Option<String>,
    default: i32,
    range: std::ops::RangeInclusive<i32>,
) -> Result<i32, ApiError> {
    let invalid = || ApiError::InvalidField {
        field: field.to_owned(),
        detail: format!(
            "{field} must be an integer from {} to {}",
            range.start(),
            range.end()
        ),
    };
    let Some(value) = value else {
        return Ok(default);
    };
    let number: i32 = value.trim().parse().map_err(|_| invalid())?;
    if range.contains(&number) {
        Ok(number)
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_1_to_100_are_rejected() {
        let limit = |value: &str| bounded("limit", Some(value.to_owned()), 20, 1..=100).ok();
        assert_eq!(limit("1"), Some(1));
        assert_eq!(limit("100"), Some(100));
        assert_eq!(limit("0"), None);
        assert_eq!(limit("1000"), None);
        assert_eq!(limit("ten"), None);
        assert_eq!(bounded("limit", None, 20, 1..=100).ok(), Some(20));
    }

    #[test]
    fn a_negative_offset_is_rejected() {
        assert!(bounded("offset", Some("-1".to_owned()), 0, 0..=i32::MAX).is_err());
    }
}
