//! The account use cases: open, top up, read.

use orderflow_domain::{Amount, Balance, UserId};
use sea_orm::DatabaseConnection;

use crate::{
    db::accounts::{self, Change},
    error::AccountError,
};

/// Opens accounts, adds money, reads balances.
#[derive(Clone)]
pub struct Accounts {
    pub db: DatabaseConnection,
}

impl Accounts {
    pub async fn open(&self, user_id: &UserId) -> Result<Balance, AccountError> {
        if accounts::create(&self.db, user_id).await? {
            Ok(Balance::ZERO)
        } else {
            Err(AccountError::AlreadyExists(user_id.to_string()))
        }
    }

    pub async fn top_up(&self, user_id: &UserId, amount: Amount) -> Result<Balance, AccountError> {
        match accounts::credit(&self.db, user_id, amount).await? {
            Change::Applied(balance) => Ok(balance),
            Change::Refused => Err(AccountError::invalid(
                "amount",
                "the balance would exceed the largest amount an account can hold",
            )),
            Change::NoAccount => Err(AccountError::NotFound(user_id.to_string())),
        }
    }

    pub async fn balance(&self, user_id: &UserId) -> Result<Balance, AccountError> {
        accounts::balance(&self.db, user_id)
            .await?
            .ok_or_else(|| AccountError::NotFound(user_id.to_string()))
    }
}
