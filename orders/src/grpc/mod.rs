//! The `orders.v1.OrdersService` gRPC API over [`Ordering`].

pub(crate) mod convert;
mod status;

use std::pin::Pin;

use orderflow_domain::UserId;
use orderflow_proto::orders::v1::{
    self as api, CreateOrderRequest, CreateOrderResponse, GetOrderRequest, GetOrderResponse,
    ListOrdersRequest, ListOrdersResponse, WatchOrderRequest, WatchOrderResponse,
};
use tokio_stream::{Stream, StreamExt, wrappers::ReceiverStream};
use tonic::{Request, Response, Status};

use crate::{
    domain::{Invalid, PageRequest},
    ordering::Ordering,
    watching::Watching,
};

pub(crate) use api::orders_service_server::OrdersServiceServer;

/// The gRPC face of the orders service.
pub(crate) struct OrdersApi {
    pub(crate) ordering: Ordering,
    pub(crate) watching: Watching,
}

/// The states `WatchOrder` streams.
type OrderStates = Pin<Box<dyn Stream<Item = Result<WatchOrderResponse, Status>> + Send>>;

#[tonic::async_trait]
impl api::orders_service_server::OrdersService for OrdersApi {
    async fn create_order(
        &self,
        request: Request<CreateOrderRequest>,
    ) -> Result<Response<CreateOrderResponse>, Status> {
        let new = convert::new_order(request.into_inner())?;
        let placed = self.ordering.place(new).await?;
        Ok(placed
            .map(|order| CreateOrderResponse {
                order: Some(convert::order(order)),
            })
            .into())
    }

    async fn get_order(
        &self,
        request: Request<GetOrderRequest>,
    ) -> Result<Response<GetOrderResponse>, Status> {
        let id = convert::order_id(&request.into_inner().id)?;
        let order = self.ordering.get(id).await?;
        Ok(Response::new(GetOrderResponse {
            order: Some(convert::order(order)),
        }))
    }

    type WatchOrderStream = OrderStates;

    async fn watch_order(
        &self,
        request: Request<WatchOrderRequest>,
    ) -> Result<Response<OrderStates>, Status> {
        let id = convert::order_id(&request.into_inner().id)?;
        let states = self.watching.watch(id).await?;
        let stream = ReceiverStream::new(states).map(|state| {
            state
                .map(|order| WatchOrderResponse {
                    order: Some(convert::order(order)),
                })
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn list_orders(
        &self,
        request: Request<ListOrdersRequest>,
    ) -> Result<Response<ListOrdersResponse>, Status> {
        let request = request.into_inner();
        let user_id =
            UserId::try_from(request.user_id).map_err(|error| Invalid::new("user_id", error))?;
        let page = PageRequest::new(request.limit, request.offset)?;
        let page = self.ordering.list(&user_id, page).await?;
        Ok(Response::new(ListOrdersResponse {
            orders: page.orders.into_iter().map(convert::order).collect(),
            total: i64::try_from(page.total).unwrap_or(i64::MAX),
        }))
    }
}
