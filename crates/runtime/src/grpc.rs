//! What every gRPC server here serves beside its own service: health
//! checking, reflection (v1 and v1alpha, for grpcurl 1.8), and one server
//! span per request ([`crate::rpc_span`]).

use anyhow::Context;
use tonic_health::{ServingStatus, pb::health_server::HealthServer, server::HealthReporter};

/// The `grpc.health.v1` service and the handle that sets its status.
pub fn health() -> (
    Health,
    HealthServer<impl tonic_health::pb::health_server::Health>,
) {
    let (reporter, service) = tonic_health::server::health_reporter();
    (Health { reporter }, service)
}

/// Sets the overall status (service name "") and that of `S`.
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
}

impl Health {
    pub async fn set<S: tonic::server::NamedService>(&self, serving: bool) {
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.reporter.set_service_status("", status).await;
        self.reporter.set_service_status(S::NAME, status).await;
    }
}

/// Reflection services in both protocol versions, over `descriptors` (the
/// server's own API), health checking, and the `google.rpc` error details
/// (`google.rpc.BadRequest`, …), so that grpcurl can print the details of an
/// error status.
pub(crate) fn reflection(
    descriptors: &'static [u8],
) -> anyhow::Result<(
    tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    tonic_reflection::server::v1alpha::ServerReflectionServer<
        impl tonic_reflection::server::v1alpha::ServerReflection,
    >,
)> {
    let v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(descriptors)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("building reflection v1")?;
    let v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(descriptors)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .context("building reflection v1alpha")?;
    Ok((v1, v1alpha))
}

/// A generated tonic server (e.g. `OrdersServiceServer<…>`), as
/// `tonic::transport::Server::add_service` takes it.
pub trait GrpcService:
    tower_service::Service<
        http::Request<tonic::body::Body>,
        Response = http::Response<tonic::body::Body>,
        Error = std::convert::Infallible,
    > + tonic::server::NamedService
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> GrpcService for S where
    S: tower_service::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Serves `service` with health checking, reflection over `descriptors`, and
/// a span per request, on `listener` until `shutdown` (in-flight requests
/// finish first).
pub async fn serve<S: GrpcService>(
    listener: tokio::net::TcpListener,
    descriptors: &'static [u8],
    health: HealthServer<impl tonic_health::pb::health_server::Health>,
    service: S,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()>
where
    S::Future: Send + 'static,
{
    let (reflection_v1, reflection_v1alpha) = reflection(descriptors)?;
    tonic::transport::Server::builder()
        .layer(crate::rpc_span::server_layer())
        .layer(crate::rpc_metrics::MetricsLayer)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service)
        .serve_with_incoming_shutdown(
            // Without TCP_NODELAY, a stream's next small frame (WatchOrder's
            // FINISHED after NEW) waits for the peer's delayed ACK: ~40 ms.
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown.cancelled_owned(),
        )
        .await
        .context("serving gRPC")
}

/// INVALID_ARGUMENT naming the bad `field` (as a `google.rpc.BadRequest`
/// field violation, which the gateway turns into the problem's `field`).
pub fn invalid_argument(field: &str, message: &str) -> tonic::Status {
    use tonic_types::{ErrorDetails, StatusExt};
    tonic::Status::with_error_details(
        tonic::Code::InvalidArgument,
        format!("{field}: {message}"),
        ErrorDetails::with_bad_request_violation(field, message),
    )
}

/// Response metadata marking an answer as the stored answer to an earlier
/// request with the same idempotency key (the gateway turns it into the
/// `Idempotent-Replayed: true` header).
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The `google.rpc.ErrorInfo` reason of an idempotency key used again for a
/// different request.
pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";

/// The `google.rpc.ErrorInfo` domain of orderflow's own reasons.
pub const ERROR_DOMAIN: &str = "orderflow";

/// FAILED_PRECONDITION with the ErrorInfo reason [`IDEMPOTENCY_KEY_REUSED`]:
/// the key was first used for a different request.
pub fn idempotency_key_reused() -> tonic::Status {
    use tonic_types::{ErrorDetails, StatusExt};
    tonic::Status::with_error_details(
        tonic::Code::FailedPrecondition,
        "the idempotency key was already used for a different request",
        ErrorDetails::with_error_info(
            IDEMPOTENCY_KEY_REUSED,
            ERROR_DOMAIN,
            std::collections::HashMap::new(),
        ),
    )
}

/// `message` as a replayed answer: with [`IDEMPOTENT_REPLAYED`] `true`.
pub fn replayed<T>(message: T) -> tonic::Response<T> {
    let mut response = tonic::Response::new(message);
    response.metadata_mut().insert(
        IDEMPOTENT_REPLAYED,
        tonic::metadata::MetadataValue::from_static("true"),
    );
    response
}
