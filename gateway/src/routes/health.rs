//! Probes: `/healthz` (the process is up) and `/readyz` (both services
//! answer their gRPC health check with SERVING).

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    error::ApiError,
    problem::Problem,
    upstream::{Health, Service, Upstreams},
};

/// The answer of `/healthz`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct Liveness {
    #[schema(example = "ok")]
    pub(crate) status: String,
}

/// What one service's health check said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum UpstreamHealth {
    Serving,
    NotServing,
    Unreachable,
}

/// The answer of `/readyz` when the gateway is ready.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct Readiness {
    /// `ready`.
    #[schema(example = "ready")]
    pub(crate) status: String,
    pub orders: UpstreamHealth,
    pub payments: UpstreamHealth,
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "The gateway is running", body = Liveness))
)]
pub(crate) async fn healthz() -> Json<Liveness> {
    Json(Liveness {
        status: "ok".to_owned(),
    })
}

/// Both services answer their gRPC health check with SERVING (each asked
/// at once, within a short deadline); otherwise a 503 problem
/// `NOT_READY` naming the service(s) not serving.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Both services are serving", body = Readiness),
        (status = 503, description = "`NOT_READY`: a service is not serving or does not answer its health check; `detail` names it", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn readyz(
    State(upstreams): State<Upstreams>,
) -> Result<Json<Readiness>, ApiError> {
    let (orders, payments) = tokio::join!(
        upstreams.health(Service::Orders),
        upstreams.health(Service::Payments)
    );
    if orders == Health::Serving && payments == Health::Serving {
        Ok(Json(Readiness {
            status: "ready".to_owned(),
            orders: orders.into(),
            payments: payments.into(),
        }))
    } else {
        Err(ApiError::NotReady { orders, payments })
    }
}

impl From<Health> for UpstreamHealth {
    fn from(health: Health) -> Self {
        match health {
            Health::Serving => Self::Serving,
            Health::NotServing => Self::NotServing,
            Health::Unreachable => Self::Unreachable,
        }
    }
}
