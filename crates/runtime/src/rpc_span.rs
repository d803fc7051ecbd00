//! The spans of gRPC calls, named and tagged by the OpenTelemetry RPC
//! conventions (`rpc.system`, `rpc.service`, `rpc.method`,
//! `rpc.grpc.status_code`): a server span per request, child of the caller's
//! context, and a client span per outgoing call whose context goes into the
//! request's metadata.

use std::{
    task::{Context, Poll},
    time::Duration,
};

use http::HeaderMap;
use tonic::transport::Channel;
use tower_http::{
    classify::{GrpcErrorsAsFailures, GrpcFailureClass, SharedClassifier},
    trace::{Trace, TraceLayer},
};
use tower_service::Service;
use tracing::Span;

use crate::propagation::{self, TraceContext};

type Body = tonic::body::Body;

/// `/orders.v1.OrdersService/CreateOrder` → (`orders.v1.OrdersService`, `CreateOrder`).
pub(crate) fn service_and_method(path: &str) -> (&str, &str) {
    let path = path.trim_start_matches('/');
    path.split_once('/').unwrap_or((path, ""))
}

/// The server span of one gRPC request: a child of the caller's context
/// (`traceparent`, `tracestate`, `baggage` metadata), with the trace id and
/// correlation id that every log line inside it carries.
pub(crate) fn server<B>(request: &http::Request<B>) -> Span {
    let (service, method) = service_and_method(request.uri().path());
    let span = tracing::info_span!(
        "grpc.server",
        otel.name = format!("{service}/{method}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        correlation_id = tracing::field::Empty,
    );
    let fields = propagation::from_pairs(
        request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
    );
    propagation::set_parent(&span, &fields);
    propagation::record_ids(&span);
    span
}

/// The client span of one outgoing call, a child of the current span.
pub(crate) fn client<B>(request: &http::Request<B>) -> Span {
    let (service, method) = service_and_method(request.uri().path());
    tracing::info_span!(
        "grpc.client",
        otel.name = format!("{service}/{method}"),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = tracing::field::Empty,
    )
}

/// Whether a status code counts as an error on the server side (the caller's
/// mistakes, e.g. NOT_FOUND, do not).
fn server_error(code: i32) -> bool {
    // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

fn record_status(headers: Option<&HeaderMap>, span: &Span) {
    let Some(code) = headers
        .and_then(|headers| headers.get("grpc-status"))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
    else {
        return;
    };
    span.record("rpc.grpc.status_code", code);
    let is_client = span
        .metadata()
        .is_some_and(|metadata| metadata.name() == "grpc.client");
    if (is_client && code != 0) || (!is_client && server_error(code)) {
        span.record("otel.status_code", "ERROR");
    }
}

fn on_response(response: &http::Response<Body>, _latency: Duration, span: &Span) {
    // A trailers-only answer (every error here) has its status in the headers.
    record_status(Some(response.headers()), span);
}

fn on_eos(trailers: Option<&HeaderMap>, _duration: Duration, span: &Span) {
    record_status(trailers, span);
}

fn on_failure(failure: GrpcFailureClass, _latency: Duration, span: &Span) {
    if let GrpcFailureClass::Error(error) = failure {
        tracing::warn!(parent: span, %error, "gRPC call failed");
        span.record("otel.status_code", "ERROR");
    }
}

type MakeSpan = fn(&http::Request<Body>) -> Span;
type OnResponse = fn(&http::Response<Body>, Duration, &Span);
type OnEos = fn(Option<&HeaderMap>, Duration, &Span);
type OnFailure = fn(GrpcFailureClass, Duration, &Span);

/// The layer that gives each request a server span.
pub(crate) type ServerLayer = TraceLayer<
    SharedClassifier<GrpcErrorsAsFailures>,
    MakeSpan,
    (),
    OnResponse,
    (),
    OnEos,
    OnFailure,
>;

/// A server span per request, with its status code.
pub(crate) fn server_layer() -> ServerLayer {
    TraceLayer::new_for_grpc()
        .make_span_with(server::<Body> as MakeSpan)
        .on_request(())
        .on_response(on_response as OnResponse)
        .on_body_chunk(())
        .on_eos(on_eos as OnEos)
        .on_failure(on_failure as OnFailure)
}

/// A channel whose calls get a client span and carry its context.
pub type TracedChannel = Trace<
    InjectContext<Channel>,
    SharedClassifier<GrpcErrorsAsFailures>,
    MakeSpan,
    (),
    OnResponse,
    (),
    OnEos,
    OnFailure,
>;

/// `channel` with a client span per call.
pub fn traced(channel: Channel) -> TracedChannel {
    tower::Layer::layer(
        &TraceLayer::new_for_grpc()
            .make_span_with(client::<Body> as MakeSpan)
            .on_request(())
            .on_response(on_response as OnResponse)
            .on_body_chunk(())
            .on_eos(on_eos as OnEos)
            .on_failure(on_failure as OnFailure),
        InjectContext(channel),
    )
}

/// Puts the current span's context (the client span, inside
/// [`TracedChannel`]) into each request's metadata.
#[derive(Clone, Debug)]
pub struct InjectContext<S>(S);

impl<S: Service<http::Request<Body>>> Service<http::Request<Body>> for InjectContext<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        inject(request.headers_mut(), &propagation::current());
        self.0.call(request)
    }
}

fn inject(headers: &mut HeaderMap, fields: &TraceContext) {
    for (name, value) in fields {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_the_service_and_the_method() {
        assert_eq!(
            service_and_method("/orders.v1.OrdersService/CreateOrder"),
            ("orders.v1.OrdersService", "CreateOrder")
        );
        assert_eq!(service_and_method("/odd"), ("odd", ""));
    }
}
