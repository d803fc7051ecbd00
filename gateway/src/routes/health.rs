//! Probes: `/healthz` (the process is up) and `/readyz` (both services
//! answer their gRPC health check).

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::upstream::{Health, Service, Upstreams};

/// The answer of `/healthz`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Liveness {
    #[schema(example = "ok")]
    pub status: String,
}

/// What one service's health check said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UpstreamHealth {
    Serving,
    NotServing,
    Unreachable,
}

/// The answer of `/readyz`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when every service is serving, `not_ready` otherwise.
    #[schema(example = "ready")]
    pub status: String,
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
pub async fn healthz() -> Json<Liveness> {
    Json(Liveness {
        status: "ok".to_owned(),
    })
}

/// Both services answer their gRPC health check with SERVING.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Both services are serving", body = Readiness),
        (status = 503, description = "A service is not serving", body = Readiness),
    )
)]
pub async fn readyz(State(upstreams): State<Upstreams>) -> (StatusCode, Json<Readiness>) {
    let (orders, payments) = tokio::join!(
        upstreams.health(Service::Orders),
        upstreams.health(Service::Payments)
    );
    let ready = orders == Health::Serving && payments == Health::Serving;
    let report = Readiness {
        status: if ready { "ready" } else { "not_ready" }.to_owned(),
        orders: orders.into(),
        payments: payments.into(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report))
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
