//! Idempotency keys, for requests that create something or move money.
//!
//! A service that takes a key claims it first thing in the transaction of
//! the effect ([`claim`]), does the work, stores its answer ([`complete`])
//! and commits: key, fingerprint, answer and effect are committed together
//! or not at all. When the answer is known before the work (a new order's
//! snapshot), [`claim_answered`] stores it with the claim instead. A
//! concurrent request with the same key blocks on the primary key until the
//! first commits, then sees the stored answer (or, if the first rolled back,
//! claims the key itself). So a repeat never runs the effect twice and never
//! has to be told "in progress".
//!
//! Rows are removed after their retention by the service's retention sweep
//! ([`TABLE`], [`CREATED_AT`]).

mod fingerprint;
mod migration;
mod store;

pub use fingerprint::Fingerprint;
pub use migration::CreateIdempotencyKeys;
pub use store::{Claim, Executed, claim, claim_answered, complete};

/// The table holding the keys, in each service's own database.
pub const TABLE: &str = "idempotency_keys";
/// The column the retention period counts from.
pub const CREATED_AT: &str = "created_at";
