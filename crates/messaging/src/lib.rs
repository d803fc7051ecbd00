//! Reliable messaging between the services: the transactional outbox (rows
//! written with the state change, published by a relay) and the inbox
//! (a record of handled event ids that makes redelivery a no-op).

pub mod migration;
