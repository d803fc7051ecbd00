//! What can go wrong in the payments service, as its callers can act on it.

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AccountError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("user {0} has no account")]
    NotFound(String),
    #[error("user {0} already has an account")]
    AlreadyExists(String),
    /// The idempotency key was first used for a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AccountError {
    pub(crate) fn invalid(field: &'static str, message: impl ToString) -> Self {
        Self::Invalid {
            field,
            message: message.to_string(),
        }
    }
}
