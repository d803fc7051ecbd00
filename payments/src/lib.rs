//! The payments service.
//!
//! Accounts hold a balance in minor units. A `PaymentRequested` event is
//! applied through the inbox in one transaction: the event id is recorded,
//! the account is debited if the balance suffices, the payment is recorded
//! (one per order: a second guard against a double debit), and a
//! `PaymentResult` goes to the outbox.

pub(crate) mod accounts;
pub mod config;
pub mod db;
pub(crate) mod error;
pub(crate) mod grpc;
pub mod payment_requests;
pub(crate) mod startup;

pub use config::Config;
pub use startup::App;
