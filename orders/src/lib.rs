//! The orders service.
//!
//! `CreateOrder` stores an order as `NEW` and, in the same transaction, a
//! `PaymentRequested` event in the outbox. The outbox relay publishes it; the
//! payments service answers with a `PaymentResult`, which the inbox consumer
//! here applies: SUCCEEDED → `FINISHED`, FAILED → `CANCELLED` with the reason.
//! `WatchOrder` follows an order until it is final: a trigger notifies
//! `order_status` with each change ([`changes`]), which [`watching`] applies.

pub(crate) mod changes;
pub mod config;
pub mod db;
pub(crate) mod domain;
pub(crate) mod error;
pub(crate) mod grpc;
pub(crate) mod metrics;
pub(crate) mod ordering;
pub(crate) mod payment_results;
pub(crate) mod startup;
pub(crate) mod watching;

pub use config::Config;
pub use startup::App;
