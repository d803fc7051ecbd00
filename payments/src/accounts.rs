//! The account use cases: open, top up, read. Opening and topping up take
//! an optional idempotency key, claimed in the transaction of the change.

use anyhow::Context;
use orderflow_domain::{Amount, Balance, IdempotencyKey, UserId};
use orderflow_idempotency::{self as idempotency, Claim, Executed, Fingerprint};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::{
    db::accounts::{self, Change},
    error::AccountError,
};

/// Opens accounts, adds money, reads balances.
#[derive(Clone)]
pub(crate) struct Accounts {
    pub db: DatabaseConnection,
}

/// A request that may be retried: its user and, when given, its key.
struct Keyed<'a> {
    user_id: &'a UserId,
    key: Option<&'a IdempotencyKey>,
    fingerprint: Fingerprint,
}

impl Accounts {
    pub(crate) async fn open(
        &self,
        user_id: &UserId,
        key: Option<&IdempotencyKey>,
    ) -> Result<Executed<Balance>, AccountError> {
        let keyed = Keyed {
            user_id,
            key,
            fingerprint: Fingerprint::of("payments.v1.CreateAccount")
                .field(user_id.as_str().as_bytes())
                .finish(),
        };
        let txn = self.begin().await?;
        if let Some(answer) = keyed.replay(&txn).await? {
            return Ok(Executed::Replayed(answer));
        }
        if !accounts::create(&txn, user_id).await? {
            return Err(AccountError::AlreadyExists(user_id.to_string()));
        }
        keyed.commit(txn, Balance::ZERO).await
    }

    pub(crate) async fn top_up(
        &self,
        user_id: &UserId,
        amount: Amount,
        key: Option<&IdempotencyKey>,
    ) -> Result<Executed<Balance>, AccountError> {
        let keyed = Keyed {
            user_id,
            key,
            fingerprint: Fingerprint::of("payments.v1.TopUp")
                .field(user_id.as_str().as_bytes())
                .field(&amount.minor_units().to_be_bytes())
                .finish(),
        };
        let txn = self.begin().await?;
        if let Some(answer) = keyed.replay(&txn).await? {
            return Ok(Executed::Replayed(answer));
        }
        match accounts::credit(&txn, user_id, amount).await? {
            Change::Applied(balance) => keyed.commit(txn, balance).await,
            Change::Refused => Err(AccountError::invalid(
                "amount",
                "the balance would exceed the largest amount an account can hold",
            )),
            Change::NoAccount => Err(AccountError::NotFound(user_id.to_string())),
        }
    }

    pub(crate) async fn balance(&self, user_id: &UserId) -> Result<Balance, AccountError> {
        accounts::balance(&self.db, user_id)
            .await?
            .ok_or_else(|| AccountError::NotFound(user_id.to_string()))
    }

    async fn begin(&self) -> Result<DatabaseTransaction, AccountError> {
        Ok(self
            .db
            .begin()
            .await
            .context("beginning the account transaction")?)
    }
}

impl Keyed<'_> {
    /// Claims the key first in the transaction (a concurrent repeat waits
    /// here); the stored balance when the same request was answered before.
    async fn replay(&self, txn: &DatabaseTransaction) -> Result<Option<Balance>, AccountError> {
        let Some(key) = self.key else {
            return Ok(None);
        };
        match idempotency::claim(txn, self.user_id, key, &self.fingerprint).await? {
            Claim::Fresh => Ok(None),
            Claim::Replay(stored) => Ok(Some(from_snapshot(&stored)?)),
            Claim::Reused => Err(AccountError::IdempotencyKeyReused),
        }
    }

    /// Stores the answer with the key, if any, and commits the change.
    async fn commit(
        self,
        txn: DatabaseTransaction,
        balance: Balance,
    ) -> Result<Executed<Balance>, AccountError> {
        if let Some(key) = self.key {
            let snapshot = balance.minor_units().to_be_bytes().to_vec();
            idempotency::complete(&txn, self.user_id, key, snapshot).await?;
        }
        txn.commit()
            .await
            .context("committing the account change")?;
        Ok(Executed::Fresh(balance))
    }
}

/// The balance stored with a key: its 8 big-endian bytes.
fn from_snapshot(bytes: &[u8]) -> anyhow::Result<Balance> {
    let bytes = <[u8; 8]>::try_from(bytes).context("a stored balance is not 8 bytes")?;
    Balance::try_from(i64::from_be_bytes(bytes)).context("a stored balance is negative")
}
