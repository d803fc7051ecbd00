//! The `accounts` table. Balance changes are single conditional UPDATEs, so
//! concurrent debits of one account serialize on its row and a balance never
//! goes below zero (the CHECK constraint is the last line).

use anyhow::Context;
use orderflow_domain::{Amount, Balance, UserId};
use orderflow_runtime::db_span;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tracing::Instrument;

/// What a conditional balance change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Applied; the new balance.
    Applied(Balance),
    /// The account exists but the condition failed (too little money, or
    /// a top-up that would overflow).
    Refused,
    /// No account.
    NoAccount,
}

/// Opens an account with balance 0; false when the user has one.
pub async fn create(db: &impl ConnectionTrait, user_id: &UserId) -> anyhow::Result<bool> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO accounts (user_id, balance) VALUES ($1, 0) ON CONFLICT (user_id) DO NOTHING",
            [user_id.as_str().into()],
        ))
        .await
        .context("creating the account")?;
    Ok(result.rows_affected() == 1)
}

/// The account's balance, if it exists.
pub async fn balance(
    db: &impl ConnectionTrait,
    user_id: &UserId,
) -> anyhow::Result<Option<Balance>> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT balance FROM accounts WHERE user_id = $1",
            [user_id.as_str().into()],
        ))
        .await
        .context("reading the balance")?;
    row.map(|row| {
        let minor_units: i64 = row.try_get("", "balance")?;
        Balance::try_from(minor_units).context("stored balance is negative")
    })
    .transpose()
}

/// Adds `amount` unless the balance would overflow.
pub async fn credit(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    amount: Amount,
) -> anyhow::Result<Change> {
    let ceiling = Balance::max_before_credit(amount).minor_units();
    change(
        db,
        user_id,
        "UPDATE accounts SET balance = balance + $2, updated_at = now() \
         WHERE user_id = $1 AND balance <= $3 RETURNING balance",
        amount,
        ceiling,
    )
    .await
}

/// Takes `amount` if the balance covers it.
pub async fn debit(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    amount: Amount,
) -> anyhow::Result<Change> {
    change(
        db,
        user_id,
        "UPDATE accounts SET balance = balance - $2, updated_at = now() \
         WHERE user_id = $1 AND balance >= $3 RETURNING balance",
        amount,
        amount.minor_units(),
    )
    .instrument(db_span::span("UPDATE", "accounts"))
    .await
}

async fn change(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    sql: &str,
    amount: Amount,
    bound: i64,
) -> anyhow::Result<Change> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                user_id.as_str().into(),
                amount.minor_units().into(),
                bound.into(),
            ],
        ))
        .await
        .context("changing the balance")?;
    if let Some(row) = row {
        let minor_units: i64 = row.try_get("", "balance")?;
        return Ok(Change::Applied(Balance::try_from(minor_units)?));
    }
    Ok(if balance(db, user_id).await?.is_some() {
        Change::Refused
    } else {
        Change::NoAccount
    })
}
