//! How a payment ended, as both services name it: the words stored in their
//! databases (`SUCCEEDED`, `INSUFFICIENT_FUNDS`, …) and shown to clients.
//! The protobuf enums are converted to these at each service's boundary.

use std::fmt;

/// How a payment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// The account was debited by the amount.
    Succeeded,
    /// Nothing was debited; a [`FailureReason`] says why.
    Failed,
}

/// Why a payment failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// The balance was smaller than the amount.
    InsufficientFunds,
    /// The user has no account.
    AccountNotFound,
}

/// A word that names none of the values of an enum here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a {what}")]
pub struct UnknownName {
    pub(crate) what: &'static str,
    pub(crate) text: String,
}

impl PaymentStatus {
    pub(crate) const ALL: [Self; 2] = [Self::Succeeded, Self::Failed];

    /// `SUCCEEDED` or `FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }
}

impl FailureReason {
    pub(crate) const ALL: [Self; 2] = [Self::InsufficientFunds, Self::AccountNotFound];

    /// `INSUFFICIENT_FUNDS` or `ACCOUNT_NOT_FOUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InsufficientFunds => "INSUFFICIENT_FUNDS",
            Self::AccountNotFound => "ACCOUNT_NOT_FOUND",
        }
    }
}

impl TryFrom<&str> for PaymentStatus {
    type Error = UnknownName;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownName {
                what: "payment status",
                text: text.to_owned(),
            })
    }
}

impl TryFrom<&str> for FailureReason {
    type Error = UnknownName;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.as_str() == text)
            .ok_or_else(|| UnknownName {
                what: "failure reason",
                text: text.to_owned(),
            })
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_reasons_round_trip_through_their_names() {
        for status in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::try_from(status.as_str()), Ok(status));
        }
        for reason in FailureReason::ALL {
            assert_eq!(FailureReason::try_from(reason.as_str()), Ok(reason));
        }
        assert_eq!(
            FailureReason::InsufficientFunds.as_str(),
            "INSUFFICIENT_FUNDS"
        );
        assert_eq!(PaymentStatus::Failed.to_string(), "FAILED");
    }

    #[test]
    fn other_words_are_rejected() {
        assert!(PaymentStatus::try_from("PAID").is_err());
        assert!(FailureReason::try_from("insufficient_funds").is_err());
        assert!(FailureReason::try_from("").is_err());
    }
}
