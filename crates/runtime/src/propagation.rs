//! W3C trace context (`traceparent`, `tracestate`) and baggage in and out of
//! plain string maps. Outbox rows store such a map; Kafka headers and gRPC
//! metadata are filled from it and read back into it.
//!
//! The correlation id travels as the baggage entry [`CORRELATION_ID`] when a
//! client chose it; otherwise it is the trace id, which needs no carrying.

use std::collections::BTreeMap;

use opentelemetry::{
    KeyValue,
    baggage::BaggageExt,
    propagation::{Extractor, Injector},
    trace::TraceContextExt,
};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Trace-context fields, e.g. `traceparent` → `00-…-…-01`.
pub type TraceContext = BTreeMap<String, String>;

/// The baggage key (and span attribute) of a client-chosen correlation id.
pub(crate) const CORRELATION_ID: &str = "correlation_id";

/// The trace-context field names a request or record may carry.
pub const FIELDS: [&str; 3] = ["traceparent", "tracestate", "baggage"];

struct MapInjector<'a>(&'a mut TraceContext);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

struct MapExtractor<'a>(&'a TraceContext);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// The context of the current span (empty when no span is recorded).
pub fn current() -> TraceContext {
    context_of(&tracing::Span::current())
}

/// The context of `span`: its trace, its span id, and the baggage it carries.
pub fn context_of(span: &tracing::Span) -> TraceContext {
    let context = span.context();
    let mut fields = TraceContext::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MapInjector(&mut fields));
    });
    fields
}

/// Makes `span` a child of the remote context in `fields` (a no-op when
/// `fields` holds none). Call it before the span is first entered.
pub fn set_parent(span: &tracing::Span, fields: &TraceContext) {
    if fields.is_empty() {
        return;
    }
    let _ = span.set_parent(extract(fields));
}

/// Makes `span` a child of the remote context in `fields` (a new trace when
/// it holds none), carrying `correlation_id` as baggage to everything that
/// follows it.
pub fn set_parent_with_correlation(
    span: &tracing::Span,
    fields: &TraceContext,
    correlation_id: &str,
) {
    let parent =
        extract(fields).with_baggage([KeyValue::new(CORRELATION_ID, correlation_id.to_owned())]);
    let _ = span.set_parent(parent);
}

fn extract(fields: &TraceContext) -> opentelemetry::Context {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&MapExtractor(fields))
    })
}

/// Links `span` to `to` (a batch span to each record's span, say): a span
/// that works for several traces at once belongs to none of them, and the
/// links say which. Call it before `span` is first entered.
pub fn add_link(span: &tracing::Span, to: &tracing::Span) {
    let context = to.context();
    let linked = context.span().span_context().clone();
    if linked.is_valid() {
        span.add_link(linked);
    }
}

/// The trace id of `span` as 32 lowercase hex digits, when it is recorded.
pub fn trace_id(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The correlation id `span` works under: the client-chosen one carried as
/// baggage, else its trace id.
pub fn correlation_id(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    if let Some(value) = context.baggage().get(CORRELATION_ID) {
        return Some(value.to_string());
    }
    trace_id(span)
}

/// Records `trace_id` and `correlation_id` on `span` (once its parent is
/// set), so every log line inside it names both.
pub fn record_ids(span: &tracing::Span) {
    if let Some(trace_id) = trace_id(span) {
        span.record("trace_id", trace_id);
    }
    if let Some(correlation_id) = correlation_id(span) {
        span.record(CORRELATION_ID, correlation_id);
    }
}

/// The trace-context fields among `pairs` (header name, value).
pub(crate) fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> TraceContext {
    pairs
        .into_iter()
        .filter(|(name, _)| FIELDS.contains(name))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}
