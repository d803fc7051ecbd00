//! The headers every record carries, and their conversion to and from Kafka.
//!
//! The contract headers ([`EVENT_ID`], [`EVENT_TYPE`], [`CONTENT_TYPE`]) are
//! required: a record without them, or with other values, is not an event of
//! ours and is dead-lettered ([`check_contract`]). The trace context is
//! optional.

use orderflow_runtime::propagation::{self, TraceContext};
use rdkafka::message::{BorrowedHeaders, Header, Headers, OwnedHeaders};
use uuid::Uuid;

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
/// How often applying a dead-lettered record failed before it was given up
/// (absent when it was never tried: it could not be decoded or was invalid).
pub const DLQ_ATTEMPTS: &str = "dlq-attempts";

/// Headers for a record: event id, type, content type and trace context.
pub(crate) fn for_event(event_id: &str, event_type: &str, trace: &TraceContext) -> OwnedHeaders {
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
pub(crate) fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a str> {
    Header {
        key,
        value: Some(value),
    }
}

/// The value of header `key` as text, when present and UTF-8.
pub(crate) fn text<'a>(headers: Option<&'a BorrowedHeaders>, key: &str) -> Option<&'a str> {
    headers?
        .iter()
        .find(|header| header.key == key)
        .and_then(|header| header.value)
        .and_then(|value| std::str::from_utf8(value).ok())
}

/// The trace context (W3C `traceparent`, `tracestate`, `baggage`) carried
/// by a record's headers.
pub(crate) fn trace_context(headers: Option<&BorrowedHeaders>) -> TraceContext {
    propagation::FIELDS
        .iter()
        .filter_map(|key| text(headers, key).map(|value| ((*key).to_owned(), value.to_owned())))
        .collect()
}

/// A copy of `headers` (all of them, bytes as they are) to extend.
pub(crate) fn copy(headers: Option<&BorrowedHeaders>) -> OwnedHeaders {
    headers.map_or_else(OwnedHeaders::new, BorrowedHeaders::detach)
}

/// Why a record's headers break the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ContractError {
    #[error("the required header {0} is missing or not UTF-8")]
    Missing(&'static str),
    #[error("unexpected event type {found}, expected {expected}")]
    WrongEventType { found: String, expected: String },
    #[error("unexpected content type {0}, expected {PROTOBUF}")]
    WrongContentType(String),
    #[error("the event-id header {0:?} is not a UUID")]
    BadEventId(String),
}

/// Checks the contract headers of a record that should hold an
/// `event_type`, and returns the event id they name (which the payload's
/// must equal).
pub(crate) fn check_contract(
    headers: Option<&BorrowedHeaders>,
    event_type: &str,
) -> Result<Uuid, ContractError> {
    let required = |key: &'static str| text(headers, key).ok_or(ContractError::Missing(key));
    let found = required(EVENT_TYPE)?;
    if found != event_type {
        return Err(ContractError::WrongEventType {
            found: found.to_owned(),
            expected: event_type.to_owned(),
        });
    }
    let content_type = required(CONTENT_TYPE)?;
    if content_type != PROTOBUF {
        return Err(ContractError::WrongContentType(content_type.to_owned()));
    }
    let event_id = required(EVENT_ID)?;
    Uuid::parse_str(event_id).map_err(|_| ContractError::BadEventId(event_id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "orderflow.events.v1.PaymentRequested";
    const ID: &str = "0193a0d4-5c1e-7f3a-9b2e-4d5f6a7b8c9d";

    fn check(pairs: &[(&str, &str)]) -> Result<Uuid, ContractError> {
        let headers = pairs
            .iter()
            .fold(OwnedHeaders::new(), |headers, (key, value)| {
                headers.insert(header(key, value))
            });
        check_contract(Some(headers.as_borrowed()), TYPE)
    }

    #[test]
    fn the_headers_the_relay_writes_fulfil_the_contract() {
        let headers = for_event(ID, TYPE, &TraceContext::default());
        assert_eq!(
            check_contract(Some(headers.as_borrowed()), TYPE),
            Ok(Uuid::parse_str(ID).unwrap())
        );
    }

    #[test]
    fn each_contract_header_is_required() {
        let all = [(EVENT_ID, ID), (EVENT_TYPE, TYPE), (CONTENT_TYPE, PROTOBUF)];
        for (missing, _) in all {
            let rest: Vec<_> = all.into_iter().filter(|(key, _)| *key != missing).collect();
            assert_eq!(check(&rest), Err(ContractError::Missing(missing)));
        }
        assert_eq!(
            check_contract(None, TYPE),
            Err(ContractError::Missing(EVENT_TYPE))
        );
    }

    #[test]
    fn a_wrong_type_content_type_or_id_breaks_the_contract() {
        let other = "orderflow.events.v1.PaymentResult";
        assert!(matches!(
            check(&[
                (EVENT_ID, ID),
                (EVENT_TYPE, other),
                (CONTENT_TYPE, PROTOBUF)
            ]),
            Err(ContractError::WrongEventType { .. })
        ));
        assert!(matches!(
            check(&[
                (EVENT_ID, ID),
                (EVENT_TYPE, TYPE),
                (CONTENT_TYPE, "application/json")
            ]),
            Err(ContractError::WrongContentType(_))
        ));
        assert!(matches!(
            check(&[
                (EVENT_ID, "42"),
                (EVENT_TYPE, TYPE),
                (CONTENT_TYPE, PROTOBUF)
            ]),
            Err(ContractError::BadEventId(_))
        ));
    }
}
