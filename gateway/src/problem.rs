//! RFC 9457 problem bodies (`application/problem+json`): every failure
//! leaves the gateway as one, with a stable `code` and `type`, a
//! human-readable `detail`, and the request's correlation id. Internal
//! details are logged here, once, and never sent.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    correlation,
    error::{ApiError, Kind},
    shed,
};

/// An RFC 9457 problem details object.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Problem {
    /// A URI naming the problem type; stable, one per `code`.
    #[serde(rename = "type")]
    #[schema(example = "urn:orderflow:problem:invalid-argument")]
    pub(crate) problem_type: String,
    /// The HTTP reason phrase of `status`.
    #[schema(example = "Bad Request")]
    pub(crate) title: String,
    /// The HTTP status code.
    #[schema(example = 400)]
    pub(crate) status: u16,
    /// The stable, machine-readable problem code.
    #[schema(example = "INVALID_ARGUMENT")]
    pub(crate) code: String,
    /// What went wrong, for a person.
    #[schema(example = "amount must be greater than zero")]
    pub(crate) detail: String,
    /// The request's `X-Correlation-Id`, to quote when reporting the problem.
    pub(crate) correlation_id: Option<String>,
    /// The request field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "amount")]
    pub(crate) field: Option<String>,
}

impl Problem {
    pub(crate) fn of(error: &ApiError) -> Self {
        let Kind { status, code } = error.kind();
        Self {
            problem_type: format!(
                "urn:orderflow:problem:{}",
                code.to_ascii_lowercase().replace('_', "-")
            ),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: error.detail(),
            correlation_id: correlation::current().map(|id| id.as_str().to_owned()),
            field: error.field(),
        }
    }
}

/// The media type of problem bodies.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem::of(&self);
        if problem.status == 500 {
            tracing::error!(error = ?self, code = problem.code, "request failed");
        } else if problem.status >= 500 {
            tracing::warn!(error = %self, code = problem.code, "request failed");
        } else {
            tracing::info!(error = %self, code = problem.code, "request rejected");
        }
        let status = self.kind().status;
        match serde_json::to_vec(&problem) {
            Ok(body) => {
                let mut response = (
                    status,
                    [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
                    body,
                )
                    .into_response();
                if matches!(self, Self::Overloaded) {
                    response.headers_mut().insert(
                        header::RETRY_AFTER,
                        HeaderValue::from(shed::RETRY_AFTER_SECS),
                    );
                }
                response
            }
            Err(error) => {
                tracing::error!(%error, "serializing a problem body");
                status.into_response()
            }
        }
    }
}
