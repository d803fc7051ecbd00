//! The one table from orders errors to gRPC status codes.

use orderflow_messaging::database;
use orderflow_runtime::grpc;
use tonic::Status;

use crate::{domain::Invalid, error::OrderError};

impl From<Invalid> for Status {
    fn from(invalid: Invalid) -> Self {
        grpc::invalid_argument(invalid.field, &invalid.message)
    }
}

impl From<OrderError> for Status {
    fn from(error: OrderError) -> Self {
        match error {
            OrderError::Invalid(invalid) => invalid.into(),
            OrderError::NotFound(id) => Status::not_found(format!("order {id} not found")),
            OrderError::IdempotencyKeyReused => grpc::idempotency_key_reused(),
            OrderError::Unexpected(error) if database::is_unavailable(&error) => {
                tracing::warn!(error = format!("{error:#}"), "database unavailable");
                Status::unavailable("the orders database is unavailable; try again later")
            }
            OrderError::Unexpected(error) => {
                // Logged once here; the caller learns only that it failed.
                tracing::error!(error = format!("{error:#}"), "request failed");
                Status::internal("internal error")
            }
        }
    }
}
