//! `/api/payments`: open an account, top it up, read its balance.

use anyhow::Context;
use axum::{Json, extract::State, http::StatusCode};
use orderflow_proto::payments::v1::{CreateAccountRequest, GetBalanceRequest, TopUpRequest};

use crate::{
    error::ApiError,
    extract::{ApiJson, ApiPath, UserIdHeader},
    idempotency::{self, Answer, IdempotencyKeyHeader},
    model::{AccountView, CreateAccount, TopUp},
    problem::Problem,
    routes::orders::IDEMPOTENCY_KEY_DOC,
    upstream::{Service, Upstreams},
};

/// Opens an account with balance 0.
#[utoipa::path(
    post,
    path = "/api/payments/account",
    tag = "payments",
    params(
        ("X-User-Id" = Option<String>, Header, description = "The user, instead of `user_id` in the body"),
        ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY_DOC,
            min_length = 1, max_length = 255, pattern = r"^[\x21-\x7E]+$"),
    ),
    request_body = CreateAccount,
    responses(
        (status = 201, description = "The new account (or, for a repeated key, the first answer)", body = AccountView,
            headers(("Idempotent-Replayed" = bool, description = "`true` when this repeats the stored answer to an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "Invalid input, or an invalid Idempotency-Key (`field` is `Idempotency-Key`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The user already has an account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`IDEMPOTENCY_KEY_REUSED`: the Idempotency-Key was already used for a different request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`UNAVAILABLE`: the payments service is down; `OVERLOADED`: the gateway serves as many requests as it may, retry after `Retry-After`", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "With `OVERLOADED`: seconds to wait before retrying"))),
    )
)]
pub(crate) async fn create_account(
    State(upstreams): State<Upstreams>,
    user: UserIdHeader,
    key: IdempotencyKeyHeader,
    ApiJson(body): ApiJson<CreateAccount>,
) -> Result<Answer<(StatusCode, Json<AccountView>)>, ApiError> {
    let user_id = user.resolve(body.user_id, "body")?;
    let request = upstreams.request(CreateAccountRequest {
        user_id,
        idempotency_key: key.into_field(),
    });
    let mut payments = upstreams.payments();
    let (replay, created) = idempotency::call(
        &upstreams,
        Service::Payments,
        payments.create_account(request),
    )
    .await?;
    let account = created
        .account
        .context("CreateAccount returned no account")?;
    Ok(Answer(replay, (StatusCode::CREATED, Json(account.into()))))
}

/// Adds money to an account and returns the new balance.
#[utoipa::path(
    post,
    path = "/api/payments/topup",
    tag = "payments",
    params(
        ("X-User-Id" = Option<String>, Header, description = "The user, instead of `user_id` in the body"),
        ("Idempotency-Key" = Option<String>, Header, description = IDEMPOTENCY_KEY_DOC,
            min_length = 1, max_length = 255, pattern = r"^[\x21-\x7E]+$"),
    ),
    request_body = TopUp,
    responses(
        (status = 200, description = "The account with its new balance (or, for a repeated key, the first answer: the balance right after that top-up)", body = AccountView,
            headers(("Idempotent-Replayed" = bool, description = "`true` when this repeats the stored answer to an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "Invalid input, a balance that would overflow, or an invalid Idempotency-Key (`field` is `Idempotency-Key`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The user has no account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`IDEMPOTENCY_KEY_REUSED`: the Idempotency-Key was already used for a different request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`UNAVAILABLE`: the payments service is down; `OVERLOADED`: the gateway serves as many requests as it may, retry after `Retry-After`", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "With `OVERLOADED`: seconds to wait before retrying"))),
    )
)]
pub(crate) async fn top_up(
    State(upstreams): State<Upstreams>,
    user: UserIdHeader,
    key: IdempotencyKeyHeader,
    ApiJson(body): ApiJson<TopUp>,
) -> Result<Answer<Json<AccountView>>, ApiError> {
    let user_id = user.resolve(body.user_id, "body")?;
    let request = upstreams.request(TopUpRequest {
        user_id,
        amount: body.amount,
        idempotency_key: key.into_field(),
    });
    let mut payments = upstreams.payments();
    let (replay, topped_up) =
        idempotency::call(&upstreams, Service::Payments, payments.top_up(request)).await?;
    let account = topped_up.account.context("TopUp returned no account")?;
    Ok(Answer(replay, Json(account.into())))
}

/// The account's current balance.
#[utoipa::path(
    get,
    path = "/api/payments/balance/{userId}",
    tag = "payments",
    params(
        ("userId" = String, Path, description = "Whose balance to read"),
        ("X-User-Id" = Option<String>, Header, description = "When given, it must equal `userId`"),
    ),
    responses(
        (status = 200, description = "The account with its balance", body = AccountView),
        (status = 400, description = "Invalid user id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The user has no account", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`UNAVAILABLE`: the payments service is down; `OVERLOADED`: the gateway serves as many requests as it may, retry after `Retry-After`", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "With `OVERLOADED`: seconds to wait before retrying"))),
    )
)]
pub(crate) async fn get_balance(
    State(upstreams): State<Upstreams>,
    user: UserIdHeader,
    ApiPath(user_id): ApiPath,
) -> Result<Json<AccountView>, ApiError> {
    let user_id = user.resolve(Some(user_id), "path")?;
    let request = upstreams.request(GetBalanceRequest { user_id });
    let mut payments = upstreams.payments();
    let balance = upstreams
        .call(Service::Payments, payments.get_balance(request))
        .await?;
    let account = balance.account.context("GetBalance returned no account")?;
    Ok(Json(account.into()))
}
