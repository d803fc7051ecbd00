//! Errors of the REST API and the one table that turns them into HTTP: a
//! status and a stable problem code for each failure and each gRPC code.
//! [`crate::problem`] writes them out as RFC 9457 bodies.

use axum::http::StatusCode;
use tonic_types::StatusExt;

use crate::upstream::Service;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// A field of the request is missing or has a bad value.
    #[error("{detail}")]
    InvalidField { field: String, detail: String },
    /// The body is not a JSON object of the expected shape.
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is not declared as JSON.
    #[error("the request body must be sent with Content-Type: application/json")]
    UnsupportedContentType,
    /// `X-User-Id` and the body, query, path or a second `X-User-Id` name
    /// different users.
    #[error("X-User-Id {header:?} differs from the user_id {given:?} in the {place}")]
    UserIdConflict {
        header: String,
        given: String,
        place: &'static str,
    },
    /// The body is larger than the configured limit.
    #[error("the request body is larger than the limit this gateway accepts")]
    BodyTooLarge,
    /// The body did not arrive in full within the body-read timeout.
    #[error("the request body did not arrive in full within the body-read timeout")]
    BodyTimeout,
    /// The body could not be read (e.g. broken chunked encoding).
    #[error("the request body could not be read: {0}")]
    BodyUnreadable(String),
    /// No route has this path.
    #[error("there is no resource at this path")]
    RouteNotFound,
    /// The path exists, the method does not.
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    /// A layer below the handlers refused the request with this status and
    /// no problem body (see [`crate::fallback_problems`]).
    #[error("the request was refused: {status}", status = .0)]
    Rejected(StatusCode),
    /// A service does not report SERVING on its health check (`/readyz`).
    #[error("not ready: {}", not_ready(&[(Service::Orders, *.orders), (Service::Payments, *.payments)]))]
    NotReady {
        orders: crate::upstream::Health,
        payments: crate::upstream::Health,
    },
    /// The gateway is serving as many requests as it may at once.
    #[error(
        "the gateway is at its limit of requests in flight; retry after {} s",
        crate::shed::RETRY_AFTER_SECS
    )]
    Overloaded,
    /// A service answered with a gRPC error status.
    #[error("the {service} service answered {}: {}", .status.code(), .status.message())]
    Upstream {
        service: Service,
        status: tonic::Status,
    },
    /// The trace route was asked, but `JAEGER_QUERY_URL` is not set.
    #[error("tracing is off: this gateway has no JAEGER_QUERY_URL")]
    TracingDisabled,
    /// Jaeger's query API did not answer, or not with traces.
    #[error("Jaeger's query API failed: {0:#}")]
    TracingUnavailable(anyhow::Error),
    /// Jaeger holds no trace of this order (yet: spans reach it in seconds).
    #[error("no trace of order {0} was found; spans reach Jaeger within seconds, try again")]
    TraceNotFound(uuid::Uuid),
    /// Anything else: a bug, or an answer the gateway cannot read.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A problem type: its HTTP status and its stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
}

const fn kind(status: StatusCode, code: &'static str) -> Kind {
    Kind { status, code }
}

/// The one mapping from gRPC statuses to HTTP statuses and problem codes:
/// by the `google.rpc.ErrorInfo` reason where a service gives one of
/// orderflow's, otherwise by the code ([`kind_of_grpc`]).
pub(crate) fn kind_of_status(status: &tonic::Status) -> Kind {
    use orderflow_runtime::grpc::{ERROR_DOMAIN, IDEMPOTENCY_KEY_REUSED};
    match status.get_details_error_info() {
        Some(info) if info.domain == ERROR_DOMAIN && info.reason == IDEMPOTENCY_KEY_REUSED => {
            kind(StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED")
        }
        _ => kind_of_grpc(status.code()),
    }
}

/// The mapping from gRPC status codes to HTTP statuses and problem codes.
pub(crate) fn kind_of_grpc(code: tonic::Code) -> Kind {
    use tonic::Code;
    match code {
        Code::InvalidArgument | Code::OutOfRange => {
            kind(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT")
        }
        Code::NotFound => kind(StatusCode::NOT_FOUND, "NOT_FOUND"),
        Code::AlreadyExists => kind(StatusCode::CONFLICT, "ALREADY_EXISTS"),
        Code::FailedPrecondition => kind(StatusCode::CONFLICT, "FAILED_PRECONDITION"),
        Code::Unavailable => kind(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"),
        // tonic reports its own client-side deadline (the `grpc-timeout` of
        // each call) as CANCELLED "Timeout expired", and so does a server's
        // `Server::timeout`. The gateway cancels a call for no other reason
        // (a client that hangs up drops the call and waits for no answer),
        // so a CANCELLED is a deadline too.
        Code::DeadlineExceeded | Code::Cancelled => {
            kind(StatusCode::GATEWAY_TIMEOUT, "DEADLINE_EXCEEDED")
        }
        Code::Ok
        | Code::Unknown
        | Code::PermissionDenied
        | Code::ResourceExhausted
        | Code::Aborted
        | Code::Unimplemented
        | Code::Internal
        | Code::DataLoss
        | Code::Unauthenticated => internal(),
    }
}

/// "the payments service is UNREACHABLE", for each service not serving.
fn not_ready(services: &[(Service, crate::upstream::Health)]) -> String {
    services
        .iter()
        .filter(|(_, health)| *health != crate::upstream::Health::Serving)
        .map(|(service, health)| format!("the {service} service is {health}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const fn internal() -> Kind {
    kind(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL")
}

impl ApiError {
    /// The problem type this error is answered with.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Self::InvalidField { .. } => kind(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT"),
            Self::MalformedJson(_) => kind(StatusCode::BAD_REQUEST, "MALFORMED_JSON"),
            Self::UnsupportedContentType => {
                kind(StatusCode::BAD_REQUEST, "UNSUPPORTED_CONTENT_TYPE")
            }
            Self::UserIdConflict { .. } => kind(StatusCode::BAD_REQUEST, "USER_ID_CONFLICT"),
            Self::BodyTooLarge => kind(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            Self::BodyTimeout => kind(StatusCode::REQUEST_TIMEOUT, "BODY_TIMEOUT"),
            Self::BodyUnreadable(_) => kind(StatusCode::BAD_REQUEST, "MALFORMED_BODY"),
            Self::RouteNotFound => kind(StatusCode::NOT_FOUND, "ROUTE_NOT_FOUND"),
            Self::MethodNotAllowed => kind(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Self::Rejected(status) if status.is_client_error() => kind(*status, "BAD_REQUEST"),
            Self::Rejected(status) => kind(*status, "INTERNAL"),
            Self::NotReady { .. } => kind(StatusCode::SERVICE_UNAVAILABLE, "NOT_READY"),
            Self::Overloaded => kind(StatusCode::SERVICE_UNAVAILABLE, "OVERLOADED"),
            Self::Upstream { status, .. } => kind_of_status(status),
            Self::TracingDisabled => kind(StatusCode::SERVICE_UNAVAILABLE, "TRACING_DISABLED"),
            Self::TracingUnavailable(_) => {
                kind(StatusCode::SERVICE_UNAVAILABLE, "TRACING_UNAVAILABLE")
            }
            Self::TraceNotFound(_) => kind(StatusCode::NOT_FOUND, "TRACE_NOT_FOUND"),
            Self::Unexpected(_) => internal(),
        }
    }

    /// The field the client should fix, when there is one.
    pub(crate) fn field(&self) -> Option<String> {
        match self {
            Self::InvalidField { field, .. } => Some(field.clone()),
            Self::UnsupportedContentType => Some("Content-Type".to_owned()),
            Self::UserIdConflict { .. } => Some("user_id".to_owned()),
            Self::Upstream { status, .. }
                if kind_of_status(status).code == "IDEMPOTENCY_KEY_REUSED" =>
            {
                Some(crate::idempotency::KEY_FIELD.to_owned())
            }
            Self::Upstream { status, .. } => status
                .get_details_bad_request()
                .and_then(|details| details.field_violations.into_iter().next())
                .map(|violation| violation.field),
            _ => None,
        }
    }

    /// What the client is told: the error itself for client errors; for
    /// server errors a fixed sentence, since their cause is internal.
    pub(crate) fn detail(&self) -> String {
        match self {
            Self::Upstream { service, status } => match kind_of_status(status).status {
                code if code.is_client_error() => status.message().to_owned(),
                StatusCode::SERVICE_UNAVAILABLE => format!("the {service} service is unavailable"),
                StatusCode::GATEWAY_TIMEOUT => {
                    format!("the {service} service did not answer within the deadline")
                }
                _ => format!("the {service} service failed to handle the request"),
            },
            Self::TracingUnavailable(_) => "Jaeger's query API is unavailable".to_owned(),
            Self::Unexpected(_) => "the gateway failed to handle the request".to_owned(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Problem;
    use tonic::Code;

    #[test]
    fn grpc_codes_map_to_the_documented_http_statuses() {
        let table = [
            (Code::InvalidArgument, 400, "INVALID_ARGUMENT"),
            (Code::OutOfRange, 400, "INVALID_ARGUMENT"),
            (Code::NotFound, 404, "NOT_FOUND"),
            (Code::AlreadyExists, 409, "ALREADY_EXISTS"),
            (Code::FailedPrecondition, 409, "FAILED_PRECONDITION"),
            (Code::Unavailable, 503, "UNAVAILABLE"),
            (Code::DeadlineExceeded, 504, "DEADLINE_EXCEEDED"),
            (Code::Cancelled, 504, "DEADLINE_EXCEEDED"),
            (Code::Internal, 500, "INTERNAL"),
            (Code::Unknown, 500, "INTERNAL"),
            (Code::DataLoss, 500, "INTERNAL"),
            (Code::Unimplemented, 500, "INTERNAL"),
        ];
        for (code, status, name) in table {
            let kind = kind_of_grpc(code);
            assert_eq!(
                (kind.status.as_u16(), kind.code),
                (status, name),
                "{code:?}"
            );
        }
    }

    #[test]
    fn tonics_own_timeout_is_a_504() {
        let status = tonic::Status::from_error(Box::new(tonic::TimeoutExpired(())));
        let error = ApiError::Upstream {
            service: Service::Payments,
            status,
        };
        let problem = Problem::of(&error);
        assert_eq!(
            (problem.status, problem.code.as_str()),
            (504, "DEADLINE_EXCEEDED")
        );
        assert_eq!(
            problem.detail,
            "the payments service did not answer within the deadline"
        );
    }

    #[test]
    fn an_idempotency_key_reused_for_another_request_is_a_422_naming_the_header() {
        let error = ApiError::Upstream {
            service: Service::Payments,
            status: orderflow_runtime::grpc::idempotency_key_reused(),
        };
        let problem = Problem::of(&error);
        assert_eq!(
            (problem.status, problem.code.as_str()),
            (422, "IDEMPOTENCY_KEY_REUSED")
        );
        assert_eq!(problem.field.as_deref(), Some("Idempotency-Key"));
        // Without orderflow's reason, the code alone decides.
        let plain = ApiError::Upstream {
            service: Service::Payments,
            status: tonic::Status::failed_precondition("no"),
        };
        assert_eq!(Problem::of(&plain).status, 409);
    }

    #[test]
    fn a_client_error_from_a_service_keeps_its_message() {
        let error = ApiError::Upstream {
            service: Service::Payments,
            status: tonic::Status::not_found("no account for user alice"),
        };
        assert_eq!(error.detail(), "no account for user alice");
    }

    #[test]
    fn a_server_error_from_a_service_leaks_nothing() {
        let error = ApiError::Upstream {
            service: Service::Orders,
            status: tonic::Status::internal("db password wrong at 10.0.0.7"),
        };
        let problem = Problem::of(&error);
        assert_eq!(problem.status, 500);
        assert_eq!(
            problem.detail,
            "the orders service failed to handle the request"
        );
    }

    #[test]
    fn a_field_violation_from_a_service_names_the_field() {
        let details =
            tonic_types::ErrorDetails::with_bad_request_violation("amount", "must be > 0");
        let status =
            tonic::Status::with_error_details(Code::InvalidArgument, "bad amount", details);
        let error = ApiError::Upstream {
            service: Service::Orders,
            status,
        };
        assert_eq!(Problem::of(&error).field.as_deref(), Some("amount"));
    }

    #[test]
    fn problem_types_are_stable_urns() {
        let problem = Problem::of(&ApiError::UnsupportedContentType);
        assert_eq!(
            problem.problem_type,
            "urn:orderflow:problem:unsupported-content-type"
        );
        assert_eq!(problem.field.as_deref(), Some("Content-Type"));
    }
}
