//! `TestSystem`: the orders and payments services started in-process on
//! fresh databases and unique topics, on the PostgreSQL cluster and broker
//! named by `DATABASE_URL` and `KAFKA_BROKERS`, with verbs that keep tests
//! short. Nothing is mocked.
//!
//! `ProcessSystem`: the real binaries as child processes (replicas, a
//! gateway, private PostgreSQL and Kafka) for fault tests, with the
//! invariant check ([`invariants`]) each of them ends with.

mod dice;
pub(crate) mod invariants;
mod kafka;
mod process_system;
pub(crate) mod processes;
pub mod prometheus;
mod services;
mod stream;
mod system;
mod wait;

pub use dice::Dice;
pub use kafka::{
    Record, TopicReader, close_producer, committed_total, contract_headers, group_assignment,
    produce, producer, records_in, send,
};
pub use process_system::{ProcessSystem, Setup};
pub use processes::{Binary, ServiceProcess};
pub use services::{fresh_orders_config, fresh_payments_config, health_status};
pub use stream::{OrderStream, StreamOutcome};
pub use system::{Options, TestSystem};
pub use wait::{eventually, until, until_in_inbox, until_serving};
