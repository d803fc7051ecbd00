//! Extractors that reject bad requests with problem bodies naming the field,
//! instead of axum's plain-text rejections.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Request},
    http::{HeaderMap, StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body: `Content-Type: application/json` (or `+json`), within the
/// body limit, well-formed, with every required field and no unknown one.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedContentType);
        }
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge,
                    _ => ApiError::MalformedJson(rejection.body_text()),
                })?;
        parse_json(&bytes).map(Self)
    }
}

/// Whether the request declares a JSON body.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind == "application" && (subtype == "json" || subtype.ends_with("+json"))
}

/// Deserializes the JSON object in `bytes`, naming the field at fault when
/// there is one.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(ApiError::MalformedJson(
            "the body must be a JSON object".to_owned(),
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if !inner.is_data() {
            return ApiError::MalformedJson(inner.to_string());
        }
        let field = if path == "." {
            named_in(&inner.to_string())
        } else {
            Some(path)
        };
        match field {
            Some(field) => ApiError::InvalidField {
                detail: format!("{field}: {}", without_position(&inner)),
                field,
            },
            None => ApiError::MalformedJson(without_position(&inner)),
        }
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::MalformedJson(error.to_string()))?;
    Ok(value)
}

/// The field in serde's "missing field `x`" and "unknown field `x`" messages.
fn named_in(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
}

/// serde_json's message without its " at line 1 column 9" suffix.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

/// The query string as `T`; malformed query strings are a 400.
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Self)
            .map_err(|error| ApiError::InvalidField {
                field: "query".to_owned(),
                detail: format!("the query string is malformed: {error}"),
            })
    }
}

/// One path segment as text; a segment that is not UTF-8 is a 400.
#[derive(Debug)]
pub(crate) struct ApiPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(segment)| Self(segment))
            .map_err(|rejection| ApiError::InvalidField {
                field: "path".to_owned(),
                detail: rejection.body_text(),
            })
    }
}

/// The optional `X-User-Id` header. Sent more than once, its values must
/// agree: two different users in one request are a conflict, not a choice.
#[derive(Debug, Default)]
pub(crate) struct UserIdHeader(pub Option<String>);

/// The header's name.
pub(crate) const USER_ID_HEADER: &str = "x-user-id";

impl<S: Send + Sync> FromRequestParts<S> for UserIdHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut user = None::<String>;
        for value in parts.headers.get_all(USER_ID_HEADER) {
            let value = value.to_str().map_err(|_| ApiError::InvalidField {
                field: "X-User-Id".to_owned(),
                detail: "X-User-Id must be ASCII text".to_owned(),
            })?;
            match &user {
                Some(first) if first != value => {
                    return Err(ApiError::UserIdConflict {
                        header: first.clone(),
                        given: value.to_owned(),
                        place: "second X-User-Id header",
                    });
                }
                Some(_) => {}
                None => user = Some(value.to_owned()),
            }
        }
        Ok(Self(user))
    }
}

impl UserIdHeader {
    /// The user the request is about: the header, the `user_id` given in
    /// `place` (body, query or path), or both when they agree.
    pub(crate) fn resolve(
        self,
        given: Option<String>,
        place: &'static str,
    ) -> Result<String, ApiError> {
        match (self.0, given) {
            (Some(header), Some(given)) if header != given => Err(ApiError::UserIdConflict {
                header,
                given,
                place,
            }),
            (_, Some(user)) | (Some(user), None) => Ok(user),
            (None, None) => Err(ApiError::InvalidField {
                field: "user_id".to_owned(),
                detail: format!("user_id is required, in the {place} or the X-User-Id header"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        user_id: Option<String>,
        amount: i64,
    }

    fn field_of(json: &str) -> Option<String> {
        match parse_json::<Body>(json.as_bytes()) {
            Err(ApiError::InvalidField { field, .. }) => Some(field),
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn missing_unknown_and_mistyped_fields_are_named() {
        assert_eq!(field_of(r#"{"user_id":"a"}"#).as_deref(), Some("amount"));
        assert_eq!(
            field_of(r#"{"amount":1,"colour":"red"}"#).as_deref(),
            Some("colour")
        );
        assert_eq!(field_of(r#"{"amount":"ten"}"#).as_deref(), Some("amount"));
        assert_eq!(
            field_of(r#"{"amount":9223372036854775808}"#).as_deref(),
            Some("amount")
        );
    }

    #[test]
    fn broken_json_is_malformed() {
        for json in [
            r#"{"amount": 1"#,
            "{amount: 1}",
            r#"{"amount":1} trailing"#,
            "[1]",
            "",
            "7",
        ] {
            assert!(
                matches!(
                    parse_json::<Body>(json.as_bytes()),
                    Err(ApiError::MalformedJson(_))
                ),
                "{json}"
            );
        }
    }

    #[test]
    fn json_content_types_are_recognised() {
        let headers = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            headers
        };
        assert!(is_json(&headers("application/json")));
        assert!(is_json(&headers("Application/JSON; charset=utf-8")));
        assert!(is_json(&headers("application/merge-patch+json")));
        assert!(!is_json(&headers("text/plain")));
        assert!(!is_json(&HeaderMap::new()));
    }

    async fn user_id_header(values: &[&str]) -> Result<UserIdHeader, ApiError> {
        let mut request = axum::http::Request::new(());
        for value in values {
            request
                .headers_mut()
                .append(USER_ID_HEADER, value.parse().unwrap());
        }
        let (mut parts, ()) = request.into_parts();
        UserIdHeader::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn two_different_user_id_headers_are_a_conflict() {
        assert!(matches!(
            user_id_header(&["alice", "mallory"]).await,
            Err(ApiError::UserIdConflict { .. })
        ));
        let same = user_id_header(&["alice", "alice"]).await.unwrap();
        assert_eq!(same.0.as_deref(), Some("alice"));
        assert_eq!(user_id_header(&[]).await.unwrap().0, None);
    }

    #[test]
    fn the_user_comes_from_the_header_or_the_body_but_they_must_agree() {
        let header = |value: Option<&str>| UserIdHeader(value.map(str::to_owned));
        let given = |value: &str| Some(value.to_owned());
        assert_eq!(
            header(Some("ann")).resolve(None, "body").ok().as_deref(),
            Some("ann")
        );
        assert_eq!(
            header(None).resolve(given("bob"), "body").ok().as_deref(),
            Some("bob")
        );
        assert_eq!(
            header(Some("c"))
                .resolve(given("c"), "body")
                .ok()
                .as_deref(),
            Some("c")
        );
        assert!(matches!(
            header(Some("ann")).resolve(given("bob"), "body"),
            Err(ApiError::UserIdConflict { .. })
        ));
        assert!(matches!(
            header(None).resolve(None, "query"),
            Err(ApiError::InvalidField { .. })
        ));
    }
}
