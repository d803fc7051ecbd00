//! `X-Correlation-Id`: taken from the client when it sent a usable one, the
//! trace id otherwise, returned on every response, and available to
//! everything that serves the request (problem bodies, gRPC metadata)
//! through [`current`]. The same middleware opens the request's span, as a
//! child of the client's W3C trace context when it sent one.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderMap, HeaderName, HeaderValue},
    response::Response,
};
use orderflow_runtime::propagation::{self, TraceContext};
use tracing::Instrument;

/// The header carrying the correlation id, in HTTP and in gRPC metadata.
pub(crate) const HEADER_NAME: &str = "x-correlation-id";
/// [`HEADER_NAME`] as an HTTP header name.
pub(crate) const HEADER: HeaderName = HeaderName::from_static(HEADER_NAME);

/// The longest client-sent id that is kept.
const MAX_LEN: usize = 128;

/// One request's correlation id: 1 to 128 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CorrelationId(Arc<str>);

impl CorrelationId {
    /// A fresh random id (a UUID v4). Its bits come from a per-thread
    /// generator seeded once from the system's randomness, not from a
    /// system call per request: the id must be unique, not unguessable.
    pub(crate) fn generate() -> Self {
        let bytes = NEXT_ID.with(|state| {
            let (seed, counter) = state.get();
            state.set((seed, counter.wrapping_add(1)));
            let high = mix(seed ^ counter);
            let low = mix(seed.rotate_left(32) ^ counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            (u128::from(high) << 64 | u128::from(low)).to_be_bytes()
        });
        let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        Self(id.hyphenated().encode_lower(&mut text).into())
    }

    /// The client's id, when it is 1 to 128 visible ASCII characters.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let usable = !value.is_empty()
            && value.len() <= MAX_LEN
            && value.bytes().all(|byte| byte.is_ascii_graphic());
        usable.then(|| Self(value.into()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

thread_local! {
    /// A seed from the system's randomness and a counter, per thread.
    static NEXT_ID: std::cell::Cell<(u64, u64)> = std::cell::Cell::new({
        let seed = uuid::Uuid::new_v4().as_u64_pair();
        (seed.0 ^ seed.1.rotate_left(17), seed.1)
    });
}

/// splitmix64's finalizer: spreads a counter's bits over the whole word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

tokio::task_local! {
    static CURRENT: CorrelationId;
}

/// The correlation id of the request being served, if any.
pub(crate) fn current() -> Option<CorrelationId> {
    CURRENT.try_with(CorrelationId::clone).ok()
}

/// Runs `work` as serving the request with correlation id `id`.
pub(crate) async fn within<F: Future>(id: CorrelationId, work: F) -> F::Output {
    CURRENT.scope(id, work).await
}

/// The outermost layer's work ([`crate::startup`]'s edge): the request's
/// server span, its correlation id, the access log, around `inner`.
///
/// The span continues the client's W3C `traceparent` or starts a trace. The
/// correlation id is the client's `X-Correlation-Id` when it sent a usable
/// one (recorded on the span and carried as baggage to every service), and
/// otherwise the trace id itself, so either finds the trace in Jaeger.
pub(crate) async fn serve<F, Fut>(mut request: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let from_client = request
        .headers()
        .get(&HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(CorrelationId::parse);
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let span = tracing::info_span!(
        "http.server",
        otel.name = match &route {
            Some(route) => format!("{method} {route}"),
            None => method.clone(),
        },
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = %method,
        http.route = route,
        url.path = %request.uri().path(),
        http.response.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        correlation_id = tracing::field::Empty,
    );
    let remote = trace_context(request.headers());
    match &from_client {
        Some(id) => propagation::set_parent_with_correlation(&span, &remote, id.as_str()),
        None => propagation::set_parent(&span, &remote),
    }
    let trace_id = propagation::trace_id(&span);
    let id = from_client
        .or_else(|| trace_id.as_deref().and_then(CorrelationId::parse))
        .unwrap_or_else(CorrelationId::generate);
    if let Some(trace_id) = trace_id {
        span.record("trace_id", trace_id);
    }
    span.record("correlation_id", id.as_str());
    request.extensions_mut().insert(id.clone());

    let started = Instant::now();
    let mut response = within(id.clone(), inner(request))
        .instrument(span.clone())
        .await;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(HEADER, value);
    }
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    tracing::info!(
        parent: &span,
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request served"
    );
    response
}

/// The W3C trace-context headers of a request (not its baggage: the
/// gateway is where a trace enters, so it trusts no client baggage).
fn trace_context(headers: &HeaderMap) -> TraceContext {
    ["traceparent", "tracestate"]
        .into_iter()
        .filter_map(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usable_client_id_is_kept() {
        let id = CorrelationId::parse("checkout-42:abc").map(|id| id.to_string());
        assert_eq!(id.as_deref(), Some("checkout-42:abc"));
    }

    #[test]
    fn empty_spaced_or_overlong_ids_are_replaced() {
        assert!(CorrelationId::parse("").is_none());
        assert!(CorrelationId::parse("has space").is_none());
        assert!(CorrelationId::parse(&"x".repeat(MAX_LEN + 1)).is_none());
        assert!(CorrelationId::parse("ünïcode").is_none());
    }

    #[test]
    fn generated_ids_are_usable_distinct_uuids() {
        let id = CorrelationId::generate();
        assert_eq!(CorrelationId::parse(id.as_str()), Some(id.clone()));
        let parsed = uuid::Uuid::parse_str(id.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        let ids: std::collections::HashSet<_> = (0..10_000)
            .map(|_| CorrelationId::generate().to_string())
            .collect();
        assert_eq!(ids.len(), 10_000);
    }
}
