//! The use cases: place an order (with its payment request), read orders.

use anyhow::Context;
use chrono::Utc;
use orderflow_domain::UserId;
use orderflow_idempotency::{self as idempotency, Claim, Executed, Fingerprint};
use orderflow_messaging::outbox::{self, OutboxEvent};
use orderflow_proto::events::v1 as events;
use orderflow_runtime::propagation;
use prost::Message;
use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use crate::{
    db,
    domain::{NewOrder, Order, OrderStatus, Page, PageRequest},
    error::OrderError,
    grpc::convert,
};

/// Places and reads orders.
#[derive(Clone)]
pub(crate) struct Ordering {
    pub db: DatabaseConnection,
    /// Where payment requests are published.
    pub(crate) payment_requested_topic: String,
}

impl Ordering {
    /// Stores the order as `NEW` and its `PaymentRequested` event in the
    /// outbox, in one transaction: both or neither. With an idempotency key,
    /// the key and the order's snapshot are stored in that transaction too,
    /// and a repeat of the same request gets the snapshot back instead.
    #[tracing::instrument(skip_all, fields(order_id, user_id = %new.user_id, replayed))]
    pub(crate) async fn place(&self, new: NewOrder) -> Result<Executed<Order>, OrderError> {
        let now = Utc::now();
        let order = Order {
            id: Uuid::now_v7(),
            user_id: new.user_id.clone(),
            amount: new.amount,
            description: new.description.clone(),
            status: OrderStatus::New,
            failure_reason: None,
            created_at: now,
            updated_at: now,
            trace_id: propagation::trace_id(&tracing::Span::current()),
            correlation_id: propagation::correlation_id(&tracing::Span::current()),
        };
        tracing::Span::current().record("order_id", order.id.to_string());
        // Time-ordered, as the order ids: the unique indexes on event ids (this
        // outbox's, the consumer's inbox) then grow at their right edge, not
        // at a random page each.
        let event_id = Uuid::now_v7();
        let request = events::PaymentRequested {
            event_id: event_id.to_string(),
            order_id: order.id.to_string(),
            user_id: order.user_id.to_string(),
            amount: order.amount.minor_units(),
            occurred_at: Some(orderflow_proto::timestamp(
                now.timestamp(),
                now.timestamp_subsec_nanos(),
            )),
        };
        let txn = self
            .db
            .begin()
            .await
            .context("beginning the order transaction")?;
        if let Some(key) = &new.idempotency_key {
            // First in the transaction: a concurrent repeat waits here. The
            // answer is this order's snapshot, stored with the key.
            let answer = convert::snapshot(&order);
            match idempotency::claim_answered(&txn, &new.user_id, key, &fingerprint(&new), answer)
                .await?
            {
                Claim::Fresh => {}
                Claim::Replay(stored) => {
                    let order = convert::from_snapshot(&stored)?;
                    let span = tracing::Span::current();
                    span.record("order_id", order.id.to_string());
                    span.record("replayed", true);
                    return Ok(Executed::Replayed(order));
                }
                Claim::Reused => return Err(OrderError::IdempotencyKeyReused),
            }
        }
        db::orders::insert(&txn, &order).await?;
        outbox::append(
            &txn,
            OutboxEvent {
                event_id,
                topic: self.payment_requested_topic.clone(),
                key: order.user_id.to_string(),
                event_type: events::PAYMENT_REQUESTED,
                payload: request.encode_to_vec(),
            },
        )
        .await?;
        txn.commit().await.context("committing the order")?;
        crate::metrics::created();
        Ok(Executed::Fresh(order))
    }

    /// The order with `id`.
    pub(crate) async fn get(&self, id: Uuid) -> Result<Order, OrderError> {
        db::orders::find(&self.db, id)
            .await?
            .ok_or(OrderError::NotFound(id))
    }

    /// A page of a user's orders, newest first.
    pub(crate) async fn list(
        &self,
        user_id: &UserId,
        page: PageRequest,
    ) -> Result<Page, OrderError> {
        Ok(db::orders::list(&self.db, user_id, page).await?)
    }
}

/// What a request to place an order asked for: the user, the amount and the
/// description.
fn fingerprint(new: &NewOrder) -> Fingerprint {
    Fingerprint::of("orders.v1.CreateOrder")
        .field(new.user_id.as_str().as_bytes())
        .field(&new.amount.minor_units().to_be_bytes())
        .field(new.description.as_str().as_bytes())
        .finish()
}
