//! The headers every record carries, and their conversion to and from Kafka.

use orderflow_runtime::propagation::TraceContext;
use rdkafka::message::{BorrowedHeaders, Header, Headers, OwnedHeaders};

/// The event's id (a UUID), also inside the payload.
pub const EVENT_ID: &str = "event-id";
/// The protobuf message's full name, e.g. `orderflow.events.v1.PaymentRequested`.
pub const EVENT_TYPE: &str = "event-type";
/// Always [`PROTOBUF`].
pub const CONTENT_TYPE: &str = "content-type";
/// The content type of every event.
pub const PROTOBUF: &str = "application/x-protobuf";
/// Why a record was dead-lettered (on `<topic>.dlq` only).
pub const DLQ_ERROR: &str = "dlq-error";
/// Where a dead-lettered record came from: `topic/partition/offset`.
pub const DLQ_SOURCE: &str = "dlq-source";
/// Trace-context header names (W3C), carried as they are.
const TRACE_FIELDS: [&str; 2] = ["traceparent", "tracestate"];

/// Headers for a record: event id, type, content type and trace context.
pub fn for_event(event_id: &str, event_type: &str, trace: &TraceContext) -> OwnedHeaders {
    let mut headers = OwnedHeaders::new()
        .insert(header(EVENT_ID, event_id))
        .insert(header(EVENT_TYPE, event_type))
        .insert(header(CONTENT_TYPE, PROTOBUF));
    for (key, value) in trace {
        headers = headers.insert(header(key, value));
    }
    headers
}

/// A header with a text value.
pub fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a str> {
    Header {
        key,
        value: Some(value),
    }
}

/// The value of header `key` as text, when present and UTF-8.
pub fn text<'a>(headers: Option<&'a BorrowedHeaders>, key: &str) -> Option<&'a str> {
    headers?
        .iter()
        .find(|header| header.key == key)
        .and_then(|header| header.value)
        .and_then(|value| std::str::from_utf8(value).ok())
}

/// The trace context carried by a record's headers.
pub fn trace_context(headers: Option<&BorrowedHeaders>) -> TraceContext {
    TRACE_FIELDS
        .iter()
        .filter_map(|key| text(headers, key).map(|value| ((*key).to_owned(), value.to_owned())))
        .collect()
}

/// A copy of `headers` (all of them, bytes as they are) to extend.
pub fn copy(headers: Option<&BorrowedHeaders>) -> OwnedHeaders {
    headers.map_or_else(OwnedHeaders::new, BorrowedHeaders::detach)
}
