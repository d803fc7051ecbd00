//! The `payments` table: one row per order.

use anyhow::Context;
use orderflow_runtime::db_span;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tracing::Instrument;
use uuid::Uuid;

/// A settled payment.
#[derive(Debug, Clone)]
pub struct PaymentRecord {
    pub order_id: Uuid,
    pub event_id: Uuid,
    pub user_id: String,
    pub amount: i64,
    /// `SUCCEEDED` or `FAILED`.
    pub status: &'static str,
    pub failure_reason: Option<&'static str>,
}

/// True when order `order_id` has been paid for (or refused) already.
pub async fn exists(db: &impl ConnectionTrait, order_id: Uuid) -> anyhow::Result<bool> {
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
pub async fn insert(db: &impl ConnectionTrait, payment: &PaymentRecord) -> anyhow::Result<()> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO payments (order_id, event_id, user_id, amount, status, failure_reason) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        [
            payment.order_id.into(),
            payment.event_id.into(),
            payment.user_id.clone().into(),
            payment.amount.into(),
            payment.status.into(),
            payment.failure_reason.map(str::to_owned).into(),
        ],
    ))
    .instrument(db_span::span("INSERT", "payments"))
    .await
    .context("recording the payment")?;
    Ok(())
}
