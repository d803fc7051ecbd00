//! Local infrastructure started from real binaries, shared by the test
//! harness and `cargo xtask run`:
//!
//! - [`Postgres`]: a PostgreSQL cluster (initdb + postgres) on a free port,
//!   either throwaway (in a temporary folder) or kept in a folder of yours.
//! - [`Broker`]: a tansu Kafka-protocol broker with SQLite storage.
//! - [`TestEnv`]: what a test needs: a fresh database and unique topic names
//!   on the cluster and broker named by `DATABASE_URL` and `KAFKA_BROKERS`.
//!
//! Every process is started in its own process group (so a terminal's Ctrl-C
//! reaches the supervisor, which stops them in order) and with a parent-death
//! signal (so none outlives the process that started it).

mod broker;
mod postgres;
mod process;
mod test_env;

pub use broker::{Broker, TANSU_VERSION, tansu_binary};
pub use postgres::{Postgres, ensure_database};
pub use process::{free_port, stop, supervise};
pub use test_env::{TestEnv, unique_name};
