//! The REST API through HTTP, against the gateway in front of the real
//! orders and payments services (real PostgreSQL and broker). Run with
//! `cargo xtask test -E 'package(gateway)'`.

mod bad_input;
mod bodies;
mod docs;
mod events;
mod helpers;
mod idempotency;
mod killed_gateway;
mod orders;
mod payments;
mod problems_everywhere;
mod proxy;
mod raw_http;
mod refused_by_the_gateway;
mod shedding;
mod spa;
mod spa_contract;
mod sse;
mod trace;
mod upstreams;
