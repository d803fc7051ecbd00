//! The orders service.
//!
//! `CreateOrder` stores an order as `NEW` and, in the same transaction, a
//! `PaymentRequested` event in the outbox. The outbox relay publishes it; the
//! payments service answers with a `PaymentResult`, which the inbox consumer
//! here applies: SUCCEEDED → `FINISHED`, FAILED → `CANCELLED` with the reason.
//! `WatchOrder` follows an order until it is final: a trigger notifies
//! `order_status` on each change ([`changes`]), and [`watching`] re-reads.

pub mod changes;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod metrics;
pub(crate) mod ordering;
pub mod payment_results;
pub mod startup;
pub mod watching;

pub use config::Config;
pub use startup::App;
