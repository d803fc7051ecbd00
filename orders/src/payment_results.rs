//! Applies `PaymentResult` events: SUCCEEDED → `FINISHED`, FAILED →
//! `CANCELLED` with the reason. Only a `NEW` order changes.
//!
//! Errors carry their class: a result for an unknown order is
//! [`HandleError::Invalid`] (dead-lettered at once); a database error
//! propagated with `?` is classified by the messaging failure table
//! (unavailable: retried; deterministic: a few tries, then dead-lettered).

use orderflow_domain::FailureReason;
use orderflow_messaging::consumer::{AfterCommit, Decoded, HandleError, Handler};
use orderflow_proto::events::v1::{self as events, PaymentStatus};
use prost::Message;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::{
    db::orders::{self, Settled},
    domain::Settlement,
};

/// A valid `PaymentResult` event, as orders applies it: which order, and
/// how its payment ended.
#[derive(Debug, Clone)]
pub(crate) struct PaymentOutcome {
    pub(crate) order_id: Uuid,
    pub(crate) settlement: Settlement,
}

/// The inbox handler for the payment results topic.
pub(crate) struct PaymentResults;

#[async_trait::async_trait]
impl Handler for PaymentResults {
    type Event = PaymentOutcome;

    const EVENT_TYPE: &'static str = events::PAYMENT_RESULT;

    fn decode(&self, payload: &[u8]) -> Result<Decoded<PaymentOutcome>, String> {
        let event = events::PaymentResult::decode(payload)
            .map_err(|error| format!("not a PaymentResult: {error}"))?;
        let uuid = |field: &str, text: &str| {
            Uuid::parse_str(text).map_err(|_| format!("{field} {text:?} is not a UUID"))
        };
        let event_id = uuid("event_id", &event.event_id)?;
        let order_id = uuid("order_id", &event.order_id)?;
        let settlement = settlement(event.status(), event.failure_reason())?;
        Ok(Decoded {
            event_id,
            event: PaymentOutcome {
                order_id,
                settlement,
            },
        })
    }

    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        event: &PaymentOutcome,
    ) -> Result<AfterCommit, HandleError> {
        match orders::settle(txn, event.order_id, &event.settlement).await? {
            Settled::Changed { created_at } => {
                tracing::info!(order_id = %event.order_id, settlement = ?event.settlement, "order settled");
                let settlement = event.settlement.clone();
                Ok(Some(Box::new(move || {
                    crate::metrics::settled(&settlement, created_at);
                })))
            }
            Settled::Already => {
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

/// The event's status and reason as a [`Settlement`]: proto to domain.
fn settlement(status: PaymentStatus, reason: events::FailureReason) -> Result<Settlement, String> {
    match (status, reason) {
        (PaymentStatus::Succeeded, _) => Ok(Settlement::Paid),
        (PaymentStatus::Failed, events::FailureReason::InsufficientFunds) => {
            Ok(Settlement::Declined(FailureReason::InsufficientFunds))
        }
        (PaymentStatus::Failed, events::FailureReason::AccountNotFound) => {
            Ok(Settlement::Declined(FailureReason::AccountNotFound))
        }
        (PaymentStatus::Failed, events::FailureReason::Unspecified) => {
            Err("a FAILED payment must carry a failure reason".into())
        }
        (PaymentStatus::Unspecified, _) => Err("payment status is unspecified".into()),
    }
}
