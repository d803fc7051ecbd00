//! Applies `PaymentResult` events: SUCCEEDED → `FINISHED`, FAILED →
//! `CANCELLED` with the reason. Only a `NEW` order changes.
//!
//! Errors carry their class: a result for an unknown order is
//! [`HandleError::Invalid`] (dead-lettered at once); a database error
//! propagated with `?` is classified by the messaging failure table
//! (unavailable: retried; deterministic: a few tries, then dead-lettered).

use orderflow_messaging::consumer::{AfterCommit, Decoded, HandleError, Handler};
use orderflow_proto::events::v1::{self as events, FailureReason, PaymentStatus};
use prost::Message;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::{
    db::orders::{self, Settled},
    domain::Settlement,
};

/// A valid payment result.
#[derive(Debug, Clone)]
pub struct PaymentResult {
    pub order_id: Uuid,
    pub settlement: Settlement,
}

/// The inbox handler for the payment results topic.
pub struct PaymentResults;

#[async_trait::async_trait]
impl Handler for PaymentResults {
    type Event = PaymentResult;

    const EVENT_TYPE: &'static str = events::PAYMENT_RESULT;

    fn decode(&self, payload: &[u8]) -> Result<Decoded<PaymentResult>, String> {
        let event = events::PaymentResult::decode(payload)
            .map_err(|error| format!("not a PaymentResult: {error}"))?;
        let uuid = |field: &str, text: &str| {
            Uuid::parse_str(text).map_err(|_| format!("{field} {text:?} is not a UUID"))
        };
        let event_id = uuid("event_id", &event.event_id)?;
        let order_id = uuid("order_id", &event.order_id)?;
        let settlement = match event.status() {
            PaymentStatus::Succeeded => Settlement::Paid,
            PaymentStatus::Failed => match event.failure_reason() {
                FailureReason::Unspecified => {
                    return Err("a FAILED payment must carry a failure reason".into());
                }
                reason => Settlement::Declined(
                    reason
                        .as_str_name()
                        .trim_start_matches("FAILURE_REASON_")
                        .to_owned(),
                ),
            },
            PaymentStatus::Unspecified => return Err("payment status is unspecified".into()),
        };
        Ok(Decoded {
            event_id,
            event: PaymentResult {
                order_id,
                settlement,
            },
        })
    }

    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        event: &PaymentResult,
    ) -> Result<AfterCommit, HandleError> {
        match orders::settle(txn, event.order_id, &event.settlement).await? {
            Settled::Changed { created_at } => {
                tracing::info!(order_id = %event.order_id, settlement = ?event.settlement, "order settled");
                let settlement = event.settlement.clone();
                Ok(Some(Box::new(move || {
                    crate::metrics::settled(&settlement, created_at);
                })))
            }
            Settled::AlreadySettled => {
                tracing::info!(order_id = %event.order_id, "order already settled; result ignored");
                Ok(None)
            }
            Settled::UnknownOrder => Err(HandleError::Invalid(format!(
                "no order {} to settle",
                event.order_id
            ))),
        }
    }
}
