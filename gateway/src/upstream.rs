//! The gRPC side: one lazily connected channel per service, created once and
//! shared by every request, and the per-call rules: a deadline, the
//! correlation id and the trace context in the metadata, and errors mapped
//! to [`ApiError`].
//!
//! Each call has exactly one timeout: its `grpc-timeout` (`REQUEST_TIMEOUT_MS`).
//! The service sees it as its deadline, and tonic's channel enforces it on
//! our side (an answer that does not start in time ends as CANCELLED
//! "Timeout expired", a 504 in [`crate::error`]). Nothing else in the
//! gateway (no axum layer, no channel-wide timeout, no extra timer around
//! the call) times a call out.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use orderflow_proto::{
    orders::v1::orders_service_client::OrdersServiceClient,
    payments::v1::payments_service_client::PaymentsServiceClient,
};
use orderflow_runtime::rpc_span::{self, TracedChannel};
use tonic::{
    metadata::MetadataValue,
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::{Config, correlation, error::ApiError};

/// The services behind the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Service {
    Orders,
    Payments,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Orders => "orders",
            Self::Payments => "payments",
        })
    }
}

/// What a service's health check said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Serving,
    NotServing,
    Unreachable,
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Serving => "SERVING",
            Self::NotServing => "NOT_SERVING",
            Self::Unreachable => "UNREACHABLE",
        })
    }
}

/// The longest a readiness probe waits for one service: well inside a
/// probe's own timeout (Kubernetes' default is 1 s).
const HEALTH_DEADLINE: Duration = Duration::from_millis(500);

/// Clients of both services over channels that connect on first use and
/// reconnect by themselves. Cloning is one reference count: every request
/// shares the channels, created once.
#[derive(Clone, Debug)]
pub(crate) struct Upstreams(Arc<Channels>);

#[derive(Debug)]
struct Channels {
    orders: TracedChannel,
    payments: TracedChannel,
    orders_health: Channel,
    payments_health: Channel,
    deadline: Duration,
}

impl Upstreams {
    /// Creates the channels without connecting: the gateway starts, and
    /// answers 503, while a service is down.
    pub(crate) fn connect_lazy(config: &Config) -> anyhow::Result<Self> {
        let channel = |url: &str| -> anyhow::Result<Channel> {
            Ok(Endpoint::from_shared(url.to_owned())
                .with_context(|| format!("{url:?} is not a valid gRPC endpoint"))?
                .connect_timeout(config.connect_timeout)
                .tcp_nodelay(true)
                .connect_lazy())
        };
        let orders = channel(&config.orders_url).context("ORDERS_URL")?;
        let payments = channel(&config.payments_url).context("PAYMENTS_URL")?;
        Ok(Self(Arc::new(Channels {
            orders: rpc_span::traced(orders.clone()),
            payments: rpc_span::traced(payments.clone()),
            orders_health: orders,
            payments_health: payments,
            deadline: config.request_timeout,
        })))
    }

    pub(crate) fn orders(&self) -> OrdersServiceClient<TracedChannel> {
        OrdersServiceClient::new(self.0.orders.clone())
    }

    pub(crate) fn payments(&self) -> PaymentsServiceClient<TracedChannel> {
        PaymentsServiceClient::new(self.0.payments.clone())
    }

    /// `message` as a call of the current request: with the deadline and the
    /// correlation id in its metadata (the channel adds the trace context).
    pub(crate) fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.0.deadline);
        let metadata = request.metadata_mut();
        if let Some(id) = correlation::current()
            && let Ok(value) = MetadataValue::try_from(id.as_str())
        {
            metadata.insert(correlation::HEADER_NAME, value);
        }
        request
    }

    /// Awaits a call to `service` (made with [`Upstreams::request`], so
    /// bounded by its deadline) and maps its error status.
    pub(crate) async fn call<T>(
        &self,
        service: Service,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, ApiError> {
        call.await
            .map(tonic::Response::into_inner)
            .map_err(|status| ApiError::Upstream { service, status })
    }

    /// The grpc.health.v1 check of `service` (the server as a whole).
    pub(crate) async fn health(&self, service: Service) -> Health {
        let channel = match service {
            Service::Orders => self.0.orders_health.clone(),
            Service::Payments => self.0.payments_health.clone(),
        };
        let deadline = self.0.deadline.min(HEALTH_DEADLINE);
        let mut request = tonic::Request::new(HealthCheckRequest {
            service: String::new(),
        });
        request.set_timeout(deadline);
        let mut client = HealthClient::new(channel);
        match client.check(request).await {
            Ok(response) if response.get_ref().status() == ServingStatus::Serving => {
                Health::Serving
            }
            Ok(_) => Health::NotServing,
            Err(status) => {
                tracing::warn!(%service, code = ?status.code(), message = status.message(), "health check failed");
                Health::Unreachable
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlation::CorrelationId;

    #[tokio::test]
    async fn calls_carry_the_deadline_and_the_correlation_id() {
        let upstreams = Upstreams::connect_lazy(&Config::local()).unwrap();
        let id = CorrelationId::parse("order-flow-1").unwrap();
        let request = correlation::within(id, async { upstreams.request(()) }).await;
        let metadata = request.metadata();
        assert_eq!(metadata.get("x-correlation-id").unwrap(), "order-flow-1");
        assert_eq!(metadata.get("grpc-timeout").unwrap(), "10000000u");
    }
}
