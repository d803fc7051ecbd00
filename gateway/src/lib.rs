//! The gateway: orderflow's public REST API over the orders and payments
//! gRPC services, with an OpenAPI document and Swagger UI.
//!
//! - [`config`]: [`Config`], read from the environment.
//! - [`startup`]: [`App`], which binds, serves and shuts down gracefully.
//! - [`body`]: the request body's limit and read timeout.
//! - [`routes`]: the handlers; [`model`]: their JSON bodies.
//! - [`error`]: the one table from failures (and gRPC codes) to HTTP statuses and codes.
//! - [`problem`]: the RFC 9457 bodies every failure is answered with.
//! - [`fallback_problems`]: error responses from below the handlers, made problems too.
//! - [`extract`]: body, query, path and `X-User-Id` extractors that answer with problems.
//! - [`shed`]: the concurrency limit, and the fast 503 when it is full.
//! - [`idempotency`]: the `Idempotency-Key` header and `Idempotent-Replayed` answers.
//! - [`correlation`]: `X-Correlation-Id` and the request span.
//! - [`upstream`]: the gRPC channels and the per-call rules.
//! - [`state`]: what the handlers share; [`jaeger`]: Jaeger's query API (traces).
//! - [`spa`]: the built single-page app, served when `SPA_DIR` is set.
//! - [`openapi`]: `/openapi.json` and Swagger UI; [`constraints`]: the limits it states.

pub(crate) mod body;
pub mod config;
pub(crate) mod constraints;
pub(crate) mod correlation;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod fallback_problems;
pub(crate) mod http_metrics;
pub(crate) mod idempotency;
pub(crate) mod jaeger;
pub(crate) mod model;
pub(crate) mod openapi;
pub(crate) mod problem;
pub(crate) mod routes;
pub(crate) mod shed;
pub(crate) mod spa;
pub(crate) mod startup;
pub(crate) mod state;
pub(crate) mod upstream;

pub use config::Config;
pub use startup::App;
