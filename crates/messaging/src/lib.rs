//! Reliable messaging between the services, one mechanism for both:
//!
//! - [`outbox`]: events are rows written in the same transaction as the state
//!   change; the [`relay`] publishes them to Kafka and marks them published
//!   only after the broker's delivery report.
//! - [`inbox`] and [`consumer`]: a consumed event is applied in one transaction
//!   that also records its id, so a redelivery is a no-op; the offset is
//!   committed only after that transaction commits; an event that cannot be
//!   decoded goes to `<topic>.dlq`.
//! - [`failure`]: the one table that says whether an error is worth waiting
//!   for (unavailable) or will fail again (deterministic: a few tries, then
//!   the dead-letter topic); [`retry`]: the one retry policy (`backon`,
//!   exponential with jitter).
//! - [`retention`]: old published outbox rows and inbox rows are deleted.
//! - [`notifications`]: `LISTEN` on one channel, reconnected when it fails.
//! - [`pipeline`]: the topics a service declares (what it produces to, what
//!   it consumes with which handler), its relay, consumers and retention.
//!
//! It knows no business: no topic, event or service is named here.
//!
//! Records carry the event id, type, content type and W3C trace context in
//! their headers ([`headers`]).

pub(crate) mod config;
pub mod consumer;
pub mod database;
pub mod failure;
pub mod headers;
pub(crate) mod inbox;
pub mod kafka;
pub(crate) mod metrics;
pub mod migration;
pub mod notifications;
pub mod outbox;
pub mod pipeline;
pub mod relay;
pub mod retention;
pub mod retry;

pub use config::MessagingConfig;
pub use pipeline::{Consume, Topics};
