//! Reliable messaging between the services, one mechanism for both:
//!
//! - [`outbox`]: events are rows written in the same transaction as the state
//!   change; the [`relay`] publishes them to Kafka and marks them published
//!   only after the broker's delivery report.
//! - [`inbox`] and [`consumer`]: a consumed event is applied in one transaction
//!   that also records its id, so a redelivery is a no-op; the offset is
//!   committed only after that transaction commits; an event that cannot be
//!   decoded goes to `<topic>.dlq`.
//! - [`retention`]: old published outbox rows and inbox rows are deleted.
//! - [`service`]: a service's gRPC server beside its pipeline, one way for all.
//!
//! Records carry the event id, type, content type and W3C trace context in
//! their headers ([`headers`]).

pub mod backoff;
pub mod config;
pub mod consumer;
pub mod database;
pub mod headers;
pub mod health;
pub mod inbox;
pub mod kafka;
pub mod metrics;
pub mod migration;
pub mod outbox;
pub mod pipeline;
pub mod relay;
pub mod retention;
pub mod service;

pub use config::{MessagingConfig, ServiceConfig};
