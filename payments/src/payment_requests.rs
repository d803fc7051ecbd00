//! Applies `PaymentRequested` events: at most one debit per order, and one
//! `PaymentResult` in the outbox.
//!
//! Errors carry their class: a database error propagated with `?` is
//! classified by the messaging failure table (unavailable: retried without
//! end; deterministic, such as a constraint the row breaks: a few tries,
//! then dead-lettered), and a crash point is unavailable.

use anyhow::Context;
use chrono::Utc;
use orderflow_domain::{Amount, FailureReason, PaymentStatus, UserId};
use orderflow_messaging::{
    consumer::{AfterCommit, Decoded, HandleError, Handler},
    outbox::{self, OutboxEvent},
};
use orderflow_proto::events::v1 as events;
use orderflow_runtime::crash::CrashPoints;
use prost::Message;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::db::{
    accounts::{self, Change},
    payments::{self, PaymentRecord},
};

/// Crash point: the inbox row is written, nothing else yet.
pub const AFTER_INBOX_INSERT: &str = "payments.after_inbox_insert";
/// Crash point: debited and recorded, the result not yet in the outbox.
pub(crate) const BEFORE_RESULT: &str = "payments.before_result";

/// A valid payment request.
#[derive(Debug, Clone)]
pub(crate) struct PaymentRequest {
    pub event_id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) user_id: UserId,
    pub(crate) amount: Amount,
}

/// The inbox handler for the payment requests topic.
pub(crate) struct PaymentRequests {
    /// Where results are published.
    pub result_topic: String,
    pub crash_points: CrashPoints,
}

#[async_trait::async_trait]
impl Handler for PaymentRequests {
    type Event = PaymentRequest;

    const EVENT_TYPE: &'static str = events::PAYMENT_REQUESTED;

    fn decode(&self, payload: &[u8]) -> Result<Decoded<PaymentRequest>, String> {
        let event = events::PaymentRequested::decode(payload)
            .map_err(|error| format!("not a PaymentRequested: {error}"))?;
        let uuid = |field: &str, text: &str| {
            Uuid::parse_str(text).map_err(|_| format!("{field} {text:?} is not a UUID"))
        };
        let request = PaymentRequest {
            event_id: uuid("event_id", &event.event_id)?,
            order_id: uuid("order_id", &event.order_id)?,
            user_id: UserId::try_from(event.user_id)
                .map_err(|error| format!("user_id: {error}"))?,
            amount: Amount::try_from(event.amount).map_err(|error| format!("amount: {error}"))?,
        };
        Ok(Decoded {
            event_id: request.event_id,
            event: request,
        })
    }

    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        request: &PaymentRequest,
    ) -> Result<AfterCommit, HandleError> {
        self.crash_points
            .hit(AFTER_INBOX_INSERT)
            .context("processing the payment request")?;
        if payments::exists(txn, request.order_id).await? {
            tracing::info!(order_id = %request.order_id, "order already paid for; request ignored");
            return Ok(None);
        }
        let (status, reason) = match accounts::debit(txn, &request.user_id, request.amount).await? {
            Change::Applied(_) => (PaymentStatus::Succeeded, None),
            Change::Refused => (
                PaymentStatus::Failed,
                Some(FailureReason::InsufficientFunds),
            ),
            Change::NoAccount => (PaymentStatus::Failed, Some(FailureReason::AccountNotFound)),
        };
        payments::insert(
            txn,
            &PaymentRecord {
                order_id: request.order_id,
                event_id: request.event_id,
                user_id: request.user_id.clone(),
                amount: request.amount,
                status,
                failure_reason: reason,
            },
        )
        .await?;
        self.crash_points
            .hit(BEFORE_RESULT)
            .context("publishing the payment result")?;
        let now = Utc::now();
        // Time-ordered, as the order ids: the unique indexes on event ids (this
        // outbox's, the consumer's inbox) then grow at their right edge, not
        // at a random page each.
        let event_id = Uuid::now_v7();
        let result = events::PaymentResult {
            event_id: event_id.to_string(),
            order_id: request.order_id.to_string(),
            user_id: request.user_id.to_string(),
            amount: request.amount.minor_units(),
            status: proto_status(status).into(),
            failure_reason: proto_reason(reason).into(),
            occurred_at: Some(orderflow_proto::timestamp(
                now.timestamp(),
                now.timestamp_subsec_nanos(),
            )),
        };
        outbox::append(
            txn,
            OutboxEvent {
                event_id,
                topic: self.result_topic.clone(),
                key: request.user_id.to_string(),
                event_type: events::PAYMENT_RESULT,
                payload: result.encode_to_vec(),
            },
        )
        .await?;
        tracing::info!(order_id = %request.order_id, ?status, ?reason, "payment settled");
        Ok(None)
    }
}

/// Domain to proto, for the `PaymentResult` event.
fn proto_status(status: PaymentStatus) -> events::PaymentStatus {
    match status {
        PaymentStatus::Succeeded => events::PaymentStatus::Succeeded,
        PaymentStatus::Failed => events::PaymentStatus::Failed,
    }
}

/// Domain to proto; no reason is `FAILURE_REASON_UNSPECIFIED`.
fn proto_reason(reason: Option<FailureReason>) -> events::FailureReason {
    match reason {
        None => events::FailureReason::Unspecified,
        Some(FailureReason::InsufficientFunds) => events::FailureReason::InsufficientFunds,
        Some(FailureReason::AccountNotFound) => events::FailureReason::AccountNotFound,
    }
}
