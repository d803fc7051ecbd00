//! The `payments` table: one row per order.

use anyhow::Context;
use orderflow_domain::{Amount, FailureReason, PaymentStatus, UserId};
use orderflow_runtime::db_span;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tracing::Instrument;
use uuid::Uuid;

/// A settled payment, as the `payments` table stores it.
#[derive(Debug, Clone)]
pub(crate) struct PaymentRecord {
    pub(crate) order_id: Uuid,
    /// The `PaymentRequested` event it answered.
    pub event_id: Uuid,
    pub(crate) user_id: UserId,
    pub(crate) amount: Amount,
    pub(crate) status: PaymentStatus,
    /// Why it failed; `None` when it succeeded.
    pub(crate) failure_reason: Option<FailureReason>,
}

/// True when order `order_id` has been paid for (or refused) already.
pub(crate) async fn exists(db: &impl ConnectionTrait, order_id: Uuid) -> anyhow::Result<bool> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM payments WHERE order_id = $1",
            [order_id.into()],
        ))
        .await
        .context("looking the payment up")?;
    Ok(row.is_some())
}

/// Records the payment; fails on a second payment for the same order.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    payment: &PaymentRecord,
) -> anyhow::Result<()> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO payments (order_id, event_id, user_id, amount, status, failure_reason) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        [
            payment.order_id.into(),
            payment.event_id.into(),
            payment.user_id.as_str().into(),
            payment.amount.minor_units().into(),
            payment.status.as_str().into(),
            payment
                .failure_reason
                .map(|reason| reason.as_str().to_owned())
                .into(),
        ],
    ))
    .instrument(db_span::span("INSERT", "payments"))
    .await
    .context("recording the payment")?;
    Ok(())
}
