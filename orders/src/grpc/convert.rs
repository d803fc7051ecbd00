//! Proto ↔ domain conversions for the orders API.

use chrono::{DateTime, Utc};
use orderflow_domain::{Amount, UserId};
use orderflow_proto::{Timestamp, orders::v1 as api};
use uuid::Uuid;

use crate::domain::{Description, Invalid, NewOrder, Order, OrderStatus};

pub fn new_order(request: api::CreateOrderRequest) -> Result<NewOrder, Invalid> {
    Ok(NewOrder {
        user_id: UserId::try_from(request.user_id)
            .map_err(|error| Invalid::new("user_id", error))?,
        amount: Amount::try_from(request.amount).map_err(|error| Invalid::new("amount", error))?,
        description: Description::try_from(request.description)?,
    })
}

pub fn order_id(text: &str) -> Result<Uuid, Invalid> {
    Uuid::parse_str(text).map_err(|_| Invalid::new("id", format!("{text:?} is not a UUID")))
}

pub fn order(order: Order) -> api::Order {
    let status = match order.status {
        OrderStatus::New => api::OrderStatus::New,
        OrderStatus::Finished => api::OrderStatus::Finished,
        OrderStatus::Cancelled => api::OrderStatus::Cancelled,
    };
    api::Order {
        id: order.id.to_string(),
        user_id: order.user_id,
        amount: order.amount,
        description: order.description,
        status: status.into(),
        failure_reason: order.failure_reason.unwrap_or_default(),
        created_at: Some(timestamp(order.created_at)),
        updated_at: Some(timestamp(order.updated_at)),
    }
}

fn timestamp(time: DateTime<Utc>) -> Timestamp {
    orderflow_proto::timestamp(time.timestamp(), time.timestamp_subsec_nanos())
}
