//! `TestSystem`: the orders and payments services started in-process on
//! fresh databases and unique topics, on the PostgreSQL cluster and broker
//! named by `DATABASE_URL` and `KAFKA_BROKERS`, with verbs that keep tests
//! short. Nothing is mocked.

mod kafka;
pub mod prometheus;
mod system;
mod wait;

pub use kafka::{
    Record, TopicReader, close_producer, contract_headers, group_assignment, produce, producer,
    send,
};
pub use system::{Options, TestSystem, fresh_config, health_status};
pub use wait::{eventually, until, until_in_inbox, until_serving};
