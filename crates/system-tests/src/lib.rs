//! `TestSystem`: the orders and payments services started in-process on
//! fresh databases and unique topics, on the PostgreSQL cluster and broker
//! named by `DATABASE_URL` and `KAFKA_BROKERS`, with verbs that keep tests
//! short. Nothing is mocked.

mod kafka;
pub mod prometheus;
mod system;
mod wait;

pub use kafka::{TopicReader, produce};
pub use system::{Options, TestSystem, fresh_orders_config, health_status};
pub use wait::{eventually, until};
