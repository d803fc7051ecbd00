//! Proto ↔ domain conversions for the orders API.

use anyhow::Context;
use chrono::{DateTime, Utc};
use orderflow_domain::{Amount, FailureReason, IdempotencyKey, UserId};
use orderflow_proto::{Timestamp, orders::v1 as api};
use prost::Message;
use uuid::Uuid;

use crate::domain::{Description, Invalid, NewOrder, Order, OrderStatus};

pub(crate) fn new_order(request: api::CreateOrderRequest) -> Result<NewOrder, Invalid> {
    Ok(NewOrder {
        user_id: UserId::try_from(request.user_id)
            .map_err(|error| Invalid::new("user_id", error))?,
        amount: Amount::try_from(request.amount).map_err(|error| Invalid::new("amount", error))?,
        description: Description::try_from(request.description)?,
        idempotency_key: IdempotencyKey::optional(request.idempotency_key)
            .map_err(|error| Invalid::new("idempotency_key", error))?,
    })
}

pub(crate) fn order_id(text: &str) -> Result<Uuid, Invalid> {
    Uuid::parse_str(text).map_err(|_| Invalid::new("id", format!("{text:?} is not a UUID")))
}

pub(crate) fn order(order: Order) -> api::Order {
    let status = match order.status {
        OrderStatus::New => api::OrderStatus::New,
        OrderStatus::Finished => api::OrderStatus::Finished,
        OrderStatus::Cancelled => api::OrderStatus::Cancelled,
    };
    api::Order {
        id: order.id.to_string(),
        user_id: order.user_id.into(),
        amount: order.amount.minor_units(),
        description: order.description.as_str().to_owned(),
        status: status.into(),
        failure_reason: order
            .failure_reason
            .map(|reason| reason.as_str().to_owned())
            .unwrap_or_default(),
        created_at: Some(timestamp(order.created_at)),
        updated_at: Some(timestamp(order.updated_at)),
        trace_id: order.trace_id.unwrap_or_default(),
        correlation_id: order.correlation_id.unwrap_or_default(),
    }
}

/// The order as stored with an idempotency key: its `orders.v1.Order` bytes.
pub(crate) fn snapshot(order: &Order) -> Vec<u8> {
    self::order(order.clone()).encode_to_vec()
}

/// The order stored by [`snapshot`].
pub(crate) fn from_snapshot(bytes: &[u8]) -> anyhow::Result<Order> {
    let stored = api::Order::decode(bytes).context("decoding a stored order")?;
    let status = match stored.status() {
        api::OrderStatus::New => OrderStatus::New,
        api::OrderStatus::Finished => OrderStatus::Finished,
        api::OrderStatus::Cancelled => OrderStatus::Cancelled,
        api::OrderStatus::Unspecified => anyhow::bail!("a stored order has no status"),
    };
    let time = |timestamp: Option<Timestamp>| {
        timestamp
            .and_then(|at| DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).ok()?))
            .context("a stored order has an invalid timestamp")
    };
    Ok(Order {
        id: Uuid::parse_str(&stored.id).context("a stored order id")?,
        created_at: time(stored.created_at)?,
        updated_at: time(stored.updated_at)?,
        failure_reason: Some(stored.failure_reason.as_str())
            .filter(|reason| !reason.is_empty())
            .map(FailureReason::try_from)
            .transpose()
            .context("a stored order's failure reason")?,
        trace_id: Some(stored.trace_id).filter(|id| !id.is_empty()),
        correlation_id: Some(stored.correlation_id).filter(|id| !id.is_empty()),
        user_id: UserId::try_from(stored.user_id).context("a stored order's user id")?,
        amount: Amount::try_from(stored.amount).context("a stored order's amount")?,
        description: Description::try_from(stored.description)
            .context("a stored order's description")?,
        status,
    })
}

fn timestamp(time: DateTime<Utc>) -> Timestamp {
    orderflow_proto::timestamp(time.timestamp(), time.timestamp_subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_round_trips_through_its_snapshot_with_its_domain_types() {
        let now = DateTime::from_timestamp(1_700_000_000, 123_000).expect("a time");
        let order = Order {
            id: Uuid::now_v7(),
            user_id: UserId::try_from("ann").expect("a user id"),
            amount: Amount::try_from(2_500).expect("an amount"),
            description: Description::try_from("books".to_owned()).expect("a description"),
            status: OrderStatus::Cancelled,
            failure_reason: Some(FailureReason::AccountNotFound),
            created_at: now,
            updated_at: now,
            trace_id: None,
            correlation_id: Some("c-1".into()),
        };
        let wire = self::order(order.clone());
        assert_eq!(wire.failure_reason, "ACCOUNT_NOT_FOUND");
        assert_eq!(wire.user_id, "ann");
        assert_eq!(wire.amount, 2_500);
        assert_eq!(from_snapshot(&snapshot(&order)).expect("decodes"), order);
    }

    #[test]
    fn a_snapshot_with_an_unknown_failure_reason_is_an_error() {
        let mut wire = api::Order {
            id: Uuid::now_v7().to_string(),
            user_id: "ann".into(),
            amount: 1,
            status: api::OrderStatus::Cancelled.into(),
            failure_reason: "NO_MONEY".into(),
            created_at: Some(orderflow_proto::timestamp(1, 0)),
            updated_at: Some(orderflow_proto::timestamp(1, 0)),
            ..Default::default()
        };
        assert!(from_snapshot(&wire.encode_to_vec()).is_err());
        wire.failure_reason = "INSUFFICIENT_FUNDS".into();
        assert_eq!(
            from_snapshot(&wire.encode_to_vec())
                .expect("decodes")
                .failure_reason,
            Some(FailureReason::InsufficientFunds)
        );
    }
}
