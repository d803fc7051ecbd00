//! W3C trace context (`traceparent`, `tracestate`) in and out of plain string
//! maps. Outbox rows store such a map; Kafka headers and gRPC metadata are
//! filled from it and read back into it.

use std::collections::BTreeMap;

use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Trace-context fields, e.g. `traceparent` → `00-…-…-01`.
pub type TraceContext = BTreeMap<String, String>;

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

/// The context of the current span (empty when tracing is not exported).
pub fn current() -> TraceContext {
    let context = tracing::Span::current().context();
    let mut fields = TraceContext::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MapInjector(&mut fields));
    });
    fields
}

/// Makes `span` a child of the remote context in `fields` (a no-op when
/// `fields` holds none).
pub fn set_parent(span: &tracing::Span, fields: &TraceContext) {
    if fields.is_empty() {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&MapExtractor(fields))
    });
    let _ = span.set_parent(parent);
}
