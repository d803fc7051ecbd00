//! The `payments.v1.PaymentsService` gRPC API over [`Accounts`].

mod status;

use orderflow_domain::{Amount, Balance, UserId};
use orderflow_proto::payments::v1::{
    self as api, Account, CreateAccountRequest, CreateAccountResponse, GetBalanceRequest,
    GetBalanceResponse, TopUpRequest, TopUpResponse,
};
use tonic::{Request, Response, Status};

use crate::{accounts::Accounts, error::AccountError};

pub use api::payments_service_server::PaymentsServiceServer;

/// The gRPC face of the payments service.
pub struct PaymentsApi {
    pub accounts: Accounts,
}

fn user_id(text: String) -> Result<UserId, AccountError> {
    UserId::try_from(text).map_err(|error| AccountError::invalid("user_id", error))
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
        let user_id = user_id(request.into_inner().user_id)?;
        let balance = self.accounts.open(&user_id).await?;
        Ok(Response::new(CreateAccountResponse {
            account: account(user_id, balance),
        }))
    }

    async fn top_up(
        &self,
        request: Request<TopUpRequest>,
    ) -> Result<Response<TopUpResponse>, Status> {
        let request = request.into_inner();
        let user_id = user_id(request.user_id)?;
        let amount = Amount::try_from(request.amount)
            .map_err(|error| AccountError::invalid("amount", error))?;
        let balance = self.accounts.top_up(&user_id, amount).await?;
        Ok(Response::new(TopUpResponse {
            account: account(user_id, balance),
        }))
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
