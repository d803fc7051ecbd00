//! Orders as the business sees them: no proto or database types here.

use chrono::{DateTime, Utc};
use orderflow_domain::{Amount, FailureReason, IdempotencyKey, UserId};
use uuid::Uuid;

/// Why an order's input is invalid: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub(crate) struct Invalid {
    pub(crate) field: &'static str,
    pub(crate) message: String,
}

impl Invalid {
    pub(crate) fn new(field: &'static str, message: impl ToString) -> Self {
        Self {
            field,
            message: message.to_string(),
        }
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    New,
    Finished,
    Cancelled,
}

impl OrderStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::Finished => "FINISHED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// `FINISHED` and `CANCELLED` never change again.
    pub(crate) fn is_final(self) -> bool {
        matches!(self, Self::Finished | Self::Cancelled)
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "NEW" => Some(Self::New),
            "FINISHED" => Some(Self::Finished),
            "CANCELLED" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// Free text given with an order, at most 1000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Description(String);

impl Description {
    pub(crate) const MAX_LEN: usize = 1000;

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Description {
    type Error = Invalid;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let length = value.chars().count();
        if length > Self::MAX_LEN {
            return Err(Invalid::new(
                "description",
                format!("must be at most {} characters, got {length}", Self::MAX_LEN),
            ));
        }
        Ok(Self(value))
    }
}

/// A valid request for a new order.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    pub(crate) user_id: UserId,
    pub(crate) amount: Amount,
    pub(crate) description: Description,
    /// The client's key for this attempt, when it may retry.
    pub(crate) idempotency_key: Option<IdempotencyKey>,
}

/// A stored order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Order {
    pub(crate) id: Uuid,
    pub(crate) user_id: UserId,
    pub(crate) amount: Amount,
    pub(crate) description: Description,
    pub(crate) status: OrderStatus,
    /// Why it was cancelled; `None` unless `status` is `Cancelled`.
    pub(crate) failure_reason: Option<FailureReason>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    /// The trace the order was created in (32 hex digits), when recorded.
    pub(crate) trace_id: Option<String>,
    /// The correlation id of the request that created it, when recorded.
    pub(crate) correlation_id: Option<String>,
}

impl Order {
    /// This order after `change`.
    pub(crate) fn with(&self, change: &StatusChange) -> Self {
        Self {
            status: change.status,
            failure_reason: change.failure_reason,
            updated_at: change.updated_at,
            ..self.clone()
        }
    }
}

/// What a change of an order's status changes: the status, the reason
/// (cancelled) and the time of the change. The rest of an order never
/// changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusChange {
    pub(crate) status: OrderStatus,
    pub(crate) failure_reason: Option<FailureReason>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// One page of a user's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub(crate) limit: u64,
    pub(crate) offset: u64,
}

impl PageRequest {
    pub(crate) const MAX_LIMIT: i32 = 100;

    pub(crate) fn new(limit: i32, offset: i32) -> Result<Self, Invalid> {
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(Invalid::new(
                "limit",
                format!("must be between 1 and {}, got {limit}", Self::MAX_LIMIT),
            ));
        }
        let offset = u64::try_from(offset)
            .map_err(|_| Invalid::new("offset", format!("must not be negative, got {offset}")))?;
        Ok(Self {
            limit: limit.unsigned_abs().into(),
            offset,
        })
    }
}

/// A page of orders, newest first, with the user's total.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub orders: Vec<Order>,
    pub(crate) total: u64,
}

/// How a payment ended, as far as orders care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Settlement {
    /// Paid: the order is `FINISHED`.
    Paid,
    /// Not paid, for this reason: the order is `CANCELLED`.
    Declined(FailureReason),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_1_to_100_long_from_a_non_negative_offset() {
        assert_eq!(
            PageRequest::new(1, 0).unwrap(),
            PageRequest {
                limit: 1,
                offset: 0
            }
        );
        assert_eq!(PageRequest::new(100, 7).unwrap().limit, 100);
        assert_eq!(PageRequest::new(0, 0).unwrap_err().field, "limit");
        assert_eq!(PageRequest::new(101, 0).unwrap_err().field, "limit");
        assert_eq!(PageRequest::new(10, -1).unwrap_err().field, "offset");
    }

    #[test]
    fn a_description_is_at_most_1000_characters() {
        assert!(Description::try_from("é".repeat(1000)).is_ok());
        assert_eq!(
            Description::try_from("x".repeat(1001)).unwrap_err().field,
            "description"
        );
    }

    #[test]
    fn statuses_round_trip_through_text() {
        for status in [
            OrderStatus::New,
            OrderStatus::Finished,
            OrderStatus::Cancelled,
        ] {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("PAID"), None);
    }

    #[test]
    fn only_finished_and_cancelled_are_final() {
        assert!(!OrderStatus::New.is_final());
        assert!(OrderStatus::Finished.is_final());
        assert!(OrderStatus::Cancelled.is_final());
    }
}
