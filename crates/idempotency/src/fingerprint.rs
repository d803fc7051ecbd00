//! What a request asked for, so a key reused for another request is caught.

use sha2::{Digest, Sha256};

/// SHA-256 over the operation's name and the request's fields, each
/// length-prefixed, so that no two different requests share one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

/// Builds a [`Fingerprint`] field by field.
pub struct FingerprintBuilder(Sha256);

impl Fingerprint {
    /// Starts a fingerprint of a request to `operation` (e.g.
    /// `payments.v1.TopUp`), so a key used for one operation does not match
    /// another.
    pub fn of(operation: &str) -> FingerprintBuilder {
        FingerprintBuilder(Sha256::new()).field(operation.as_bytes())
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl FingerprintBuilder {
    /// Adds one field of the request.
    pub fn field(mut self, bytes: &[u8]) -> Self {
        let length = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        self.0.update(length.to_be_bytes());
        self.0.update(bytes);
        self
    }

    pub fn finish(self) -> Fingerprint {
        Fingerprint(self.0.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_requests_share_a_fingerprint_and_different_ones_do_not() {
        let order = |user: &str, amount: i64, description: &str| {
            Fingerprint::of("orders.v1.CreateOrder")
                .field(user.as_bytes())
                .field(&amount.to_be_bytes())
                .field(description.as_bytes())
                .finish()
        };
        assert_eq!(order("ann", 5, "tea"), order("ann", 5, "tea"));
        assert_ne!(order("ann", 5, "tea"), order("ann", 6, "tea"));
        assert_ne!(order("ann", 5, "tea"), order("bob", 5, "tea"));
        assert_ne!(order("ann", 5, "tea"), order("ann", 5, "teas"));
        // Fields are length-prefixed: moving a boundary changes the print.
        assert_ne!(
            Fingerprint::of("op").field(b"ab").field(b"c").finish(),
            Fingerprint::of("op").field(b"a").field(b"bc").finish()
        );
        assert_ne!(
            Fingerprint::of("a").field(b"u").finish(),
            Fingerprint::of("b").field(b"u").finish()
        );
    }
}
