use std::fmt;

/// Why a text is not an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    #[error("an idempotency key must not be empty")]
    Empty,
    #[error("an idempotency key must be at most {max} characters, got {0}", max = IdempotencyKey::MAX_LEN)]
    TooLong(usize),
    #[error(
        "an idempotency key may contain only visible ASCII characters (no spaces or control characters)"
    )]
    BadCharacter,
}

/// A client's name for one attempt at a request, so that it can be retried
/// safely: 1 to 255 visible ASCII characters (`!` to `~`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub(crate) const MAX_LEN: usize = 255;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key in `text`, or `None` for an empty text (no key given), as
    /// proto3 string fields carry an absent key.
    pub fn optional(text: String) -> Result<Option<Self>, IdempotencyKeyError> {
        if text.is_empty() {
            return Ok(None);
        }
        Self::try_from(text).map(Some)
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = IdempotencyKeyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.is_empty() {
            return Err(IdempotencyKeyError::Empty);
        }
        if !value.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(IdempotencyKeyError::BadCharacter);
        }
        // Visible ASCII only, so bytes are characters.
        if value.len() > Self::MAX_LEN {
            return Err(IdempotencyKeyError::TooLong(value.len()));
        }
        Ok(Self(value))
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Result<IdempotencyKey, IdempotencyKeyError> {
        IdempotencyKey::try_from(text.to_owned())
    }

    #[test]
    fn a_key_is_1_to_255_visible_ascii_characters() {
        assert_eq!(key("k").unwrap().as_str(), "k");
        assert!(key(&"x".repeat(255)).is_ok());
        assert!(key("order-42:retry/1~!").is_ok());
    }

    #[test]
    fn empty_overlong_and_invisible_keys_are_refused() {
        assert_eq!(key(""), Err(IdempotencyKeyError::Empty));
        assert_eq!(
            key(&"x".repeat(256)),
            Err(IdempotencyKeyError::TooLong(256))
        );
        for bad in [
            "has space",
            "tab\there",
            "new\nline",
            "é",
            "\u{7f}",
            "nul\0",
        ] {
            assert_eq!(key(bad), Err(IdempotencyKeyError::BadCharacter), "{bad:?}");
        }
    }

    #[test]
    fn an_empty_proto_field_means_no_key() {
        assert_eq!(IdempotencyKey::optional(String::new()), Ok(None));
        assert!(IdempotencyKey::optional("k".to_owned()).unwrap().is_some());
        assert!(IdempotencyKey::optional(" ".to_owned()).is_err());
    }
}
