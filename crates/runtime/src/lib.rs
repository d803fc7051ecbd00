//! What every orderflow binary runs on.
//!
//! - [`telemetry`]: tracing to stdout, and to an OTLP collector when one is configured.
//! - [`propagation`]: W3C trace context in and out of string maps (outbox rows,
//!   Kafka headers, gRPC metadata).
//! - [`metrics`]: OpenTelemetry metrics, as Prometheus text (`/metrics`) and over OTLP.
//! - [`rpc_metrics`]: the duration and status of each gRPC request served.
//! - [`rpc_span`]: client and server spans of gRPC calls.
//! - [`shutdown`]: Ctrl-C and SIGTERM as a `CancellationToken`.
//! - [`env`]: typed reads of environment variables for each binary's `Config`.
//! - [`db_span`]: database statements as client spans.
//! - [`crash`]: crash points that tests arm to inject faults.
//! - [`probe`]: `<binary> --health-check`, the container health probe.

pub mod crash;
pub mod db_span;
pub mod env;
pub mod grpc;
pub mod metrics;
pub mod probe;
pub mod propagation;
pub(crate) mod rpc_metrics;
pub mod rpc_span;
pub mod shutdown;
pub mod telemetry;
