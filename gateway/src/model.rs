//! The JSON bodies of the REST API (snake_case, amounts in minor units) and
//! their conversions from the gRPC messages.

use anyhow::{Context, anyhow};
use chrono::{DateTime, SecondsFormat, Utc};
use orderflow_proto::{
    Timestamp,
    orders::v1::{Order, OrderStatus},
    payments::v1::Account,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Input of `POST /api/orders`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateOrder {
    /// The user placing the order; may be given as `X-User-Id` instead.
    #[schema(example = "alice")]
    pub(crate) user_id: Option<String>,
    /// The price in minor units (cents), greater than zero.
    #[serde(deserialize_with = "minor_units::deserialize")]
    #[schema(example = 1250)]
    pub(crate) amount: i64,
    /// Free text, at most 1000 characters.
    #[serde(default)]
    #[schema(example = "two coffees")]
    pub(crate) description: String,
}

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
#[schema(as = OrderStatus)]
pub(crate) enum OrderStatusView {
    /// Stored; its payment is not settled yet.
    New,
    /// Paid.
    Finished,
    /// Not paid; `failure_reason` says why.
    Cancelled,
}

/// An order.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = Order)]
pub(crate) struct OrderView {
    /// The order's id, a UUID.
    #[schema(example = "0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9d")]
    pub(crate) id: String,
    #[schema(example = "alice")]
    pub(crate) user_id: String,
    /// The price in minor units.
    #[schema(example = 1250)]
    pub(crate) amount: i64,
    #[schema(example = "two coffees")]
    pub(crate) description: String,
    pub(crate) status: OrderStatusView,
    /// Why the order was cancelled (e.g. `INSUFFICIENT_FUNDS`); null otherwise.
    #[schema(example = json!(null))]
    pub(crate) failure_reason: Option<String>,
    /// When the order was created (RFC 3339).
    #[schema(format = DateTime, example = "2026-01-31T12:00:00.000Z")]
    pub(crate) created_at: String,
    /// When the order last changed (RFC 3339).
    #[schema(format = DateTime, example = "2026-01-31T12:00:01.250Z")]
    pub(crate) updated_at: String,
    /// The trace the order was created in (W3C trace id, 32 hex digits): its
    /// whole way, payment included, in Jaeger. Null for orders created
    /// before traces were recorded.
    #[schema(example = "4bf92f3577b34da6a3ce929d0e0e4736")]
    pub(crate) trace_id: Option<String>,
    /// The correlation id of the request that created the order (the
    /// client's `X-Correlation-Id`, else the trace id); null like `trace_id`.
    #[schema(example = "4bf92f3577b34da6a3ce929d0e0e4736")]
    pub(crate) correlation_id: Option<String>,
}

/// One page of a user's orders, newest first.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct OrderPage {
    pub(crate) items: Vec<OrderView>,
    /// How many orders the user has in all.
    #[schema(example = 42)]
    pub(crate) total: i64,
    #[schema(example = 20)]
    pub(crate) limit: i32,
    #[schema(example = 0)]
    pub(crate) offset: i32,
}

/// Input of `POST /api/payments/account`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAccount {
    /// The user to open an account for; may be given as `X-User-Id` instead.
    #[schema(example = "alice")]
    pub(crate) user_id: Option<String>,
}

/// Input of `POST /api/payments/topup`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TopUp {
    /// Whose account to add to; may be given as `X-User-Id` instead.
    #[schema(example = "alice")]
    pub(crate) user_id: Option<String>,
    /// How much to add, in minor units, greater than zero.
    #[serde(deserialize_with = "minor_units::deserialize")]
    #[schema(example = 10000)]
    pub(crate) amount: i64,
}

/// A user's account.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = Account)]
pub(crate) struct AccountView {
    #[schema(example = "alice")]
    pub(crate) user_id: String,
    /// The money in the account, in minor units.
    #[schema(example = 10000)]
    pub(crate) balance: i64,
}

impl TryFrom<Order> for OrderView {
    type Error = anyhow::Error;

    fn try_from(order: Order) -> anyhow::Result<Self> {
        let status = match order.status() {
            OrderStatus::New => OrderStatusView::New,
            OrderStatus::Finished => OrderStatusView::Finished,
            OrderStatus::Cancelled => OrderStatusView::Cancelled,
            OrderStatus::Unspecified => {
                return Err(anyhow!("order {} has no status", order.id));
            }
        };
        Ok(Self {
            created_at: rfc3339(order.created_at).context("created_at")?,
            updated_at: rfc3339(order.updated_at).context("updated_at")?,
            failure_reason: Some(order.failure_reason).filter(|reason| !reason.is_empty()),
            trace_id: Some(order.trace_id).filter(|id| !id.is_empty()),
            correlation_id: Some(order.correlation_id).filter(|id| !id.is_empty()),
            id: order.id,
            user_id: order.user_id,
            amount: order.amount,
            description: order.description,
            status,
        })
    }
}

impl From<Account> for AccountView {
    fn from(account: Account) -> Self {
        Self {
            user_id: account.user_id,
            balance: account.balance,
        }
    }
}

/// A protobuf timestamp as RFC 3339 UTC with milliseconds.
fn rfc3339(timestamp: Option<Timestamp>) -> anyhow::Result<String> {
    let timestamp = timestamp.context("missing")?;
    let nanos = u32::try_from(timestamp.nanos).context("negative nanos")?;
    let at: DateTime<Utc> =
        DateTime::from_timestamp(timestamp.seconds, nanos).context("out of range")?;
    Ok(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Amounts: JSON integers that fit in an `i64`, with a message that says so
/// (instead of serde's "expected i64") when they do not.
mod minor_units {
    use serde::{Deserializer, de};

    struct MinorUnits;

    const EXPECTED: &str =
        "a whole number of minor units from -9223372036854775808 to 9223372036854775807";

    impl de::Visitor<'_> for MinorUnits {
        type Value = i64;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str(EXPECTED)
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
            Ok(value)
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
            i64::try_from(value)
                .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &EXPECTED))
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        deserializer.deserialize_i64(MinorUnits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{error::ApiError, extract::parse_json};

    #[test]
    fn an_amount_past_i64_names_the_amount_field() {
        for amount in [
            "9223372036854775808",
            "99999999999999999999999",
            "12.5",
            "\"7\"",
        ] {
            let json = format!(r#"{{"user_id":"a","amount":{amount}}}"#);
            match parse_json::<TopUp>(json.as_bytes()) {
                Err(ApiError::InvalidField { field, detail }) => {
                    assert_eq!(field, "amount");
                    assert!(detail.contains("whole number of minor units"), "{detail}");
                }
                other => panic!("{amount}: expected an invalid amount, got {other:?}"),
            }
        }
    }

    #[test]
    fn negative_and_zero_amounts_pass_through_to_the_service() {
        let top_up: TopUp = parse_json(br#"{"amount":-5}"#).unwrap();
        assert_eq!((top_up.user_id, top_up.amount), (None, -5));
    }

    #[test]
    fn an_order_becomes_json_with_rfc3339_times_and_a_null_reason() {
        let order = Order {
            id: "0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9d".into(),
            user_id: "alice".into(),
            amount: 1250,
            description: "coffee".into(),
            status: OrderStatus::New.into(),
            failure_reason: String::new(),
            created_at: Some(Timestamp {
                seconds: 1_769_860_800,
                nanos: 5_000_000,
            }),
            updated_at: Some(Timestamp {
                seconds: 1_769_860_800,
                nanos: 5_000_000,
            }),
            ..Order::default()
        };
        let json = serde_json::to_value(OrderView::try_from(order).unwrap()).unwrap();
        assert_eq!(json["status"], "NEW");
        assert_eq!(json["failure_reason"], serde_json::Value::Null);
        assert_eq!(json["created_at"], "2026-01-31T12:00:00.005Z");
    }

    #[test]
    fn an_order_without_a_status_is_an_error() {
        let order = Order {
            status: OrderStatus::Unspecified.into(),
            ..Order::default()
        };
        assert!(OrderView::try_from(order).is_err());
    }
}
