//! The one table from payments errors to gRPC status codes.

use orderflow_messaging::database;
use orderflow_runtime::grpc;
use tonic::Status;

use crate::error::AccountError;

impl From<AccountError> for Status {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid { field, message } => grpc::invalid_argument(field, &message),
            AccountError::NotFound(_) => Status::not_found(error.to_string()),
            AccountError::AlreadyExists(_) => Status::already_exists(error.to_string()),
            AccountError::IdempotencyKeyReused => grpc::idempotency_key_reused(),
            AccountError::Unexpected(error) if database::is_unavailable(&error) => {
                tracing::warn!(error = format!("{error:#}"), "database unavailable");
                Status::unavailable("the payments database is unavailable; try again later")
            }
            AccountError::Unexpected(error) => {
                // Logged once here; the caller learns only that it failed.
                tracing::error!(error = format!("{error:#}"), "request failed");
                Status::internal("internal error")
            }
        }
    }
}
