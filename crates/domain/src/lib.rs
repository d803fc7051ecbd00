//! The values both services agree on. Each is valid once built (parse, don't
//! validate): a [`UserId`] is 1 to 64 letters, digits, `-` or `_`; an
//! [`Amount`] is a positive number of minor units; a [`Balance`] never goes
//! below zero, and its arithmetic is checked; an [`IdempotencyKey`] is 1 to
//! 255 visible ASCII characters. [`PaymentStatus`] and [`FailureReason`]
//! say how a payment ended.

mod idempotency_key;
mod money;
mod payment;
mod user_id;

pub use idempotency_key::{IdempotencyKey, IdempotencyKeyError};
pub use money::{Amount, Balance, MoneyError};
pub use payment::{FailureReason, PaymentStatus, UnknownName};
pub use user_id::{UserId, UserIdError};
