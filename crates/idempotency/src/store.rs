//! Claiming a key and storing the answer, inside the caller's transaction.

use anyhow::Context;
use orderflow_domain::{IdempotencyKey, UserId};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::Fingerprint;

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is new and now held by the caller's transaction: do the work,
    /// [`complete`] it (not after [`claim_answered`], which stored the
    /// answer already), commit.
    Fresh,
    /// The same request was answered before: this is its stored answer. Do
    /// nothing else.
    Replay(Vec<u8>),
    /// The key was used for a different request.
    Reused,
}

/// The answer to a request that may carry a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Executed<T> {
    /// The work was done now.
    Fresh(T),
    /// The work was done by an earlier request with the same key; this is
    /// its answer.
    Replayed(T),
}

impl<T> Executed<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Executed<U> {
        match self {
            Self::Fresh(value) => Executed::Fresh(f(value)),
            Self::Replayed(value) => Executed::Replayed(f(value)),
        }
    }
}

/// Claims `key` for `user_id` in the caller's transaction. When another
/// transaction holds the same key uncommitted, this waits for it: after its
/// commit the stored answer is returned, after its rollback the key is
/// claimed here.
pub async fn claim(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
) -> anyhow::Result<Claim> {
    claim_with(db, user_id, key, fingerprint, None).await
}

/// [`claim`] for a request whose answer is known before its effect is made
/// (an order whose snapshot is built first): a fresh claim stores `answer`
/// with the key, in one statement, and needs no [`complete`].
pub async fn claim_answered(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    answer: Vec<u8>,
) -> anyhow::Result<Claim> {
    claim_with(db, user_id, key, fingerprint, Some(answer)).await
}

async fn claim_with(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    answer: Option<Vec<u8>>,
) -> anyhow::Result<Claim> {
    let inserted = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO idempotency_keys (user_id, idempotency_key, fingerprint, response) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, idempotency_key) DO NOTHING",
            [
                user_id.as_str().into(),
                key.as_str().into(),
                fingerprint.as_bytes().to_vec().into(),
                answer.into(),
            ],
        ))
        .await
        .context("claiming the idempotency key")?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Fresh);
    }
    // Read committed: this statement sees the row the conflict waited for.
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT fingerprint, response FROM idempotency_keys \
             WHERE user_id = $1 AND idempotency_key = $2",
            [user_id.as_str().into(), key.as_str().into()],
        ))
        .await
        .context("reading the idempotency key")?
        .context("the idempotency key vanished between claim and read")?;
    let stored: Vec<u8> = row.try_get("", "fingerprint")?;
    if stored != fingerprint.as_bytes() {
        return Ok(Claim::Reused);
    }
    let response: Option<Vec<u8>> = row.try_get("", "response")?;
    response
        .map(Claim::Replay)
        .context("a committed idempotency key has no stored answer")
}

/// Stores the answer to the request that claimed `key`, in the same
/// transaction as its effect.
pub async fn complete(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    key: &IdempotencyKey,
    response: Vec<u8>,
) -> anyhow::Result<()> {
    let updated = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE idempotency_keys SET response = $3 \
             WHERE user_id = $1 AND idempotency_key = $2",
            [
                user_id.as_str().into(),
                key.as_str().into(),
                response.into(),
            ],
        ))
        .await
        .context("storing the answer of the idempotency key")?;
    anyhow::ensure!(
        updated.rows_affected() == 1,
        "the idempotency key was not claimed in this transaction"
    );
    Ok(())
}

impl<T> From<Executed<T>> for tonic::Response<T> {
    /// The gRPC answer; a replayed one carries `idempotent-replayed: true`.
    fn from(executed: Executed<T>) -> Self {
        match executed {
            Executed::Fresh(message) => tonic::Response::new(message),
            Executed::Replayed(message) => orderflow_runtime::grpc::replayed(message),
        }
    }
}
