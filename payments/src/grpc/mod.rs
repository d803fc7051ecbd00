//! The `payments.v1.PaymentsService` gRPC API over [`Accounts`].

mod status;

use orderflow_domain::{Amount, Balance, IdempotencyKey, UserId};
use orderflow_proto::payments::v1::{
    self as api, Account, CreateAccountRequest, CreateAccountResponse, GetBalanceRequest,
    GetBalanceResponse, TopUpRequest, TopUpResponse,
};
use tonic::{Request, Response, Status};

use crate::{accounts::Accounts, error::AccountError};

pub(crate) use api::payments_service_server::PaymentsServiceServer;

/// The gRPC face of the payments service.
pub(crate) struct PaymentsApi {
    pub(crate) accounts: Accounts,
}

fn user_id(text: String) -> Result<UserId, AccountError> {
    UserId::try_from(text).map_err(|error| AccountError::invalid("user_id", error))
}

fn idempotency_key(text: String) -> Result<Option<IdempotencyKey>, AccountError> {
    IdempotencyKey::optional(text).map_err(|error| AccountError::invalid("idempotency_key", error))
}

fn account(user_id: UserId, balance: Balance) -> Option<Account> {
    Some(Account {
        user_id: user_id.into(),
        balance: balance.minor_units(),
    })
}

#[tonic::async_trait]
impl api::payments_service_server::PaymentsService for PaymentsApi {
    async fn create_account(
        &self,
        request: Request<CreateAccountRequest>,
    ) -> Result<Response<CreateAccountResponse>, Status> {
        let request = request.into_inner();
        let user_id = user_id(request.user_id)?;
        let key = idempotency_key(request.idempotency_key)?;
        let opened = self.accounts.open(&user_id, key.as_ref()).await?;
        Ok(opened
            .map(|balance| CreateAccountResponse {
                account: account(user_id, balance),
            })
            .into())
    }

    async fn top_up(
        &self,
        request: Request<TopUpRequest>,
    ) -> Result<Response<TopUpResponse>, Status> {
        let request = request.into_inner();
        let user_id = user_id(request.user_id)?;
        let amount = Amount::try_from(request.amount)
            .map_err(|error| AccountError::invalid("amount", error))?;
        let key = idempotency_key(request.idempotency_key)?;
        let topped_up = self.accounts.top_up(&user_id, amount, key.as_ref()).await?;
        Ok(topped_up
            .map(|balance| TopUpResponse {
                account: account(user_id, balance),
            })
            .into())
    }

    async fn get_balance(
        &self,
        request: Request<GetBalanceRequest>,
    ) -> Result<Response<GetBalanceResponse>, Status> {
        let user_id = user_id(request.into_inner().user_id)?;
        let balance = self.accounts.balance(&user_id).await?;
        Ok(Response::new(GetBalanceResponse {
            account: account(user_id, balance),
        }))
    }
}
