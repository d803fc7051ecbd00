//! Local infrastructure started from real binaries, shared by the test
//! harness and `cargo xtask run`:
//!
//! - [`Postgres`]: a PostgreSQL cluster (initdb + postgres) on a free port,
//!   either throwaway (in a temporary folder) or kept in a folder of yours.
//! - [`Broker`]: Apache Kafka, one node in KRaft mode, run by Java.
//! - [`Jaeger`]: Jaeger v2 with in-memory storage, configured by `otel/jaeger.yaml`.
//! - [`install`]: fetches Kafka's jars (Maven) and builds Jaeger (Go) once,
//!   into a cache folder outside the work tree.
//! - [`Controlled`]: a server controlled from async code through a thread
//!   of its own, so its blocking stop/kill/restart calls block no async thread.
//! - [`TestEnv`]: what a test needs: a fresh database and unique topic names
//!   on the cluster and broker named by `DATABASE_URL` and `KAFKA_BROKERS`,
//!   and the Jaeger named by `JAEGER_QUERY_URL` and `JAEGER_OTLP_ENDPOINT`.
//!
//! Every process is started in its own process group (so a terminal's Ctrl-C
//! reaches the supervisor, which stops them in order) and with a parent-death
//! signal (so none outlives the process that started it).

mod broker;
mod control;
pub mod install;
mod jaeger;
mod postgres;
mod process;
mod test_env;

pub use broker::Broker;
pub use control::Controlled;
pub use jaeger::{Jaeger, JaegerPorts};
pub use postgres::{Postgres, Shutdown, ensure_database};
pub use process::{free_port, stop, supervise};
#[cfg(feature = "kafka")]
pub use test_env::{ConsumerClosed, close_consumer};
pub use test_env::{TestEnv, TestJaeger, closed_port_url, count, unique_name};
