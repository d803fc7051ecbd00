//! Safe retries: the optional `Idempotency-Key` request header of the POSTs
//! that create something or move money, passed to the service as the
//! request's `idempotency_key`, and `Idempotent-Replayed: true` on an answer
//! that repeats the stored answer to an earlier request with the same key.
//!
//! The services do the work: they store the key with the effect, in one
//! transaction. The gateway only validates the header and relays the signal.

use axum::{
    extract::FromRequestParts,
    http::{HeaderName, HeaderValue, request::Parts},
    response::{IntoResponse, Response},
};
use orderflow_domain::IdempotencyKey;
use orderflow_runtime::grpc::IDEMPOTENT_REPLAYED;

use crate::{
    error::ApiError,
    upstream::{Service, Upstreams},
};

/// The request header naming an attempt.
pub(crate) const KEY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// The response header of a replayed answer.
pub(crate) const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How the key's header is named in problems and documents.
pub(crate) const KEY_FIELD: &str = "Idempotency-Key";

/// The optional `Idempotency-Key` header: absent, or 1 to 255 visible ASCII
/// characters. Anything else (empty, too long, spaces, non-ASCII, given
/// twice) is a 400 naming the header.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyKeyHeader(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKeyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse(parts.headers.get_all(KEY_HEADER).iter().collect()).map(Self)
    }
}

/// The key in the header's values (none, or exactly one).
fn parse(values: Vec<&HeaderValue>) -> Result<Option<IdempotencyKey>, ApiError> {
    let invalid = |detail: String| ApiError::InvalidField {
        field: KEY_FIELD.to_owned(),
        detail,
    };
    match values.as_slice() {
        [] => Ok(None),
        [value] => {
            let text = value.to_str().map_err(|_| {
                invalid(format!(
                    "{KEY_FIELD} may contain only visible ASCII characters"
                ))
            })?;
            IdempotencyKey::try_from(text.to_owned())
                .map(Some)
                .map_err(|error| invalid(format!("{KEY_FIELD}: {error}")))
        }
        _ => Err(invalid(format!("{KEY_FIELD} must be given at most once"))),
    }
}

impl IdempotencyKeyHeader {
    /// The key as the gRPC request field: empty when there is none.
    pub(crate) fn into_field(self) -> String {
        self.0
            .map(|key| key.as_str().to_owned())
            .unwrap_or_default()
    }
}

/// Whether an answer was made now or repeats a stored one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    Fresh,
    Replayed,
}

impl Replay {
    /// What the service's response metadata says.
    fn of(metadata: &tonic::metadata::MetadataMap) -> Self {
        match metadata.get(IDEMPOTENT_REPLAYED) {
            Some(value) if value.as_bytes().eq_ignore_ascii_case(b"true") => Self::Replayed,
            _ => Self::Fresh,
        }
    }
}

/// Awaits a call that may carry a key, through [`Upstreams::call`] (its
/// deadline and error mapping), and tells whether its answer was replayed.
pub(crate) async fn call<T>(
    upstreams: &Upstreams,
    service: Service,
    call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<(Replay, T), ApiError> {
    let answered = async move {
        let response = call.await?;
        let replay = Replay::of(response.metadata());
        Ok(tonic::Response::new((replay, response.into_inner())))
    };
    upstreams.call(service, answered).await
}

/// An answer, with `Idempotent-Replayed: true` when it repeats a stored one.
pub(crate) struct Answer<R>(pub Replay, pub R);

impl<R: IntoResponse> IntoResponse for Answer<R> {
    fn into_response(self) -> Response {
        let Self(replay, answer) = self;
        let mut response = answer.into_response();
        if replay == Replay::Replayed {
            response
                .headers_mut()
                .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(value: HeaderValue) -> String {
        match parse(vec![&value]) {
            Err(ApiError::InvalidField { field, .. }) => field,
            other => panic!("expected a 400 for {value:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_key_of_1_to_255_visible_characters_is_taken() {
        let key = |text: &str| parse(vec![&HeaderValue::from_str(text).unwrap()]).unwrap();
        assert_eq!(key("a").unwrap().as_str(), "a");
        assert_eq!(key(&"k".repeat(255)).unwrap().as_str().len(), 255);
        assert_eq!(parse(Vec::new()).unwrap(), None);
    }

    #[test]
    fn empty_overlong_and_invisible_keys_are_400s_naming_the_header() {
        let bad = [
            HeaderValue::from_static(""),
            HeaderValue::from_str(&"k".repeat(256)).unwrap(),
            HeaderValue::from_static("has space"),
            HeaderValue::from_bytes(b"tab\there").unwrap(),
            HeaderValue::from_bytes("ünïcode".as_bytes()).unwrap(),
        ];
        for value in bad {
            assert_eq!(field_of(value), KEY_FIELD);
        }
    }

    #[test]
    fn a_key_given_twice_is_a_400() {
        let one = HeaderValue::from_static("a");
        let two = HeaderValue::from_static("b");
        assert!(matches!(
            parse(vec![&one, &two]),
            Err(ApiError::InvalidField { .. })
        ));
    }

    #[test]
    fn only_replayed_answers_carry_the_header() {
        let replayed = Answer(Replay::Replayed, "{}").into_response();
        assert_eq!(replayed.headers()[REPLAYED_HEADER], "true");
        let fresh = Answer(Replay::Fresh, "{}").into_response();
        assert!(fresh.headers().get(REPLAYED_HEADER).is_none());
    }

    #[test]
    fn the_replay_signal_is_read_from_the_metadata() {
        let mut metadata = tonic::metadata::MetadataMap::new();
        assert_eq!(Replay::of(&metadata), Replay::Fresh);
        metadata.insert(IDEMPOTENT_REPLAYED, "true".parse().unwrap());
        assert_eq!(Replay::of(&metadata), Replay::Replayed);
    }
}
