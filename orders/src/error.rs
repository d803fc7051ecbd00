//! What can go wrong in the orders service, as its callers can act on it.

use crate::domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub(crate) enum OrderError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("order {0} not found")]
    NotFound(uuid::Uuid),
    /// The idempotency key was first used for a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
