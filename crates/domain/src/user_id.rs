use std::fmt;

/// Why a text is not a user id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserIdError {
    #[error("user_id must not be empty")]
    Empty,
    #[error("user_id must be at most {max} characters, got {0}", max = UserId::MAX_LEN)]
    TooLong(usize),
    #[error("user_id may contain only letters, digits, '-' and '_'")]
    BadCharacter,
}

/// An opaque user id: 1 to 64 ASCII letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    /// The fewest characters a user id has.
    pub const MIN_LEN: usize = 1;
    /// The most characters a user id has.
    pub const MAX_LEN: usize = 64;
    /// The characters a user id is made of, as a regular expression (for
    /// API schemas); [`UserId::is_allowed`] is the same rule in code.
    pub const PATTERN: &str = "^[A-Za-z0-9_-]+$";

    /// Whether `byte` may appear in a user id (see [`UserId::PATTERN`]).
    pub(crate) fn is_allowed(byte: u8) -> bool {
        byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserId {
    type Error = UserIdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let length = value.chars().count();
        if length < Self::MIN_LEN {
            return Err(UserIdError::Empty);
        }
        if length > Self::MAX_LEN {
            return Err(UserIdError::TooLong(length));
        }
        if !value.bytes().all(Self::is_allowed) {
            return Err(UserIdError::BadCharacter);
        }
        Ok(Self(value))
    }
}

impl TryFrom<&str> for UserId {
    type Error = UserIdError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::try_from(value.to_owned())
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<UserId> for String {
    fn from(value: UserId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_dash_and_underscore_are_a_user_id() {
        assert_eq!(
            UserId::try_from("alice_01-x").unwrap().as_str(),
            "alice_01-x"
        );
        assert!(UserId::try_from("a".repeat(64)).is_ok());
    }

    #[test]
    fn the_pattern_names_exactly_the_allowed_bytes() {
        let class = UserId::PATTERN
            .strip_prefix("^[")
            .and_then(|rest| rest.strip_suffix("]+$"))
            .unwrap();
        let in_class = |byte: u8| {
            let c = byte as char;
            (class.contains("A-Z") && c.is_ascii_uppercase())
                || (class.contains("a-z") && c.is_ascii_lowercase())
                || (class.contains("0-9") && c.is_ascii_digit())
                || ((c == '_' || c == '-') && class.contains(c))
        };
        for byte in 0..=u8::MAX {
            assert_eq!(UserId::is_allowed(byte), in_class(byte), "{byte:#x}");
        }
    }

    #[test]
    fn empty_long_and_odd_ids_are_rejected() {
        assert_eq!(UserId::try_from(""), Err(UserIdError::Empty));
        assert_eq!(
            UserId::try_from("a".repeat(65)),
            Err(UserIdError::TooLong(65))
        );
        assert_eq!(UserId::try_from("al ice"), Err(UserIdError::BadCharacter));
        assert_eq!(UserId::try_from("ålice"), Err(UserIdError::BadCharacter));
        assert_eq!(UserId::try_from("a/b"), Err(UserIdError::BadCharacter));
    }
}
