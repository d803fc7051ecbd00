//! The gateway's configuration, read once from the environment in `main`.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use orderflow_runtime::env;

orderflow_runtime::env_names! {
    /// Every variable [`Config::from_env`] reads; it reads only these.
    pub mod vars {
        GATEWAY_LISTEN_ADDR,
        ORDERS_URL,
        PAYMENTS_URL,
        REQUEST_TIMEOUT_MS,
        UPSTREAM_CONNECT_TIMEOUT_MS,
        MAX_CONCURRENT_REQUESTS,
        CORS_ALLOWED_ORIGINS,
        BODY_LIMIT_BYTES,
        BODY_READ_TIMEOUT_MS,
        SSE_HEARTBEAT_MS,
        SSE_MAX_SECS,
        JAEGER_QUERY_URL,
        JAEGER_UI_URL,
        SPA_DIR,
    }
}

/// Every variable the gateway binary reads: its [`Config`] and telemetry.
pub fn env_vars() -> Vec<&'static str> {
    [vars::ALL, orderflow_runtime::telemetry::vars::ALL].concat()
}

/// Everything the gateway can be told. Tests build one directly.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the HTTP server listens (`GATEWAY_LISTEN_ADDR`); port 0 picks a free one.
    pub listen_addr: SocketAddr,
    /// The orders service's gRPC endpoint (`ORDERS_URL`).
    pub orders_url: String,
    /// The payments service's gRPC endpoint (`PAYMENTS_URL`).
    pub payments_url: String,
    /// The deadline of each call to a service (`REQUEST_TIMEOUT_MS`): the
    /// one timeout of an upstream call, sent as its `grpc-timeout`.
    pub request_timeout: Duration,
    /// How long opening a connection to a service may take
    /// (`UPSTREAM_CONNECT_TIMEOUT_MS`).
    pub connect_timeout: Duration,
    /// How many API requests may be served at once (`MAX_CONCURRENT_REQUESTS`);
    /// one more is answered 503 `OVERLOADED` with `Retry-After` at once.
    /// Event streams and probes do not count ([`crate::shed`]).
    pub max_concurrent_requests: usize,
    /// Origins allowed to call the API from a browser (`CORS_ALLOWED_ORIGINS`, comma-separated).
    pub cors_allowed_origins: Vec<String>,
    /// The largest request body accepted, in bytes (`BODY_LIMIT_BYTES`).
    pub body_limit_bytes: usize,
    /// How long a request body may take to arrive in full once its headers
    /// have (`BODY_READ_TIMEOUT_MS`).
    pub body_read_timeout: Duration,
    /// How often an event stream sends a heartbeat comment while it waits
    /// (`SSE_HEARTBEAT_MS`).
    pub sse_heartbeat: Duration,
    /// The longest one event stream lasts (`SSE_MAX_SECS`).
    pub sse_max_lifetime: Duration,
    /// Jaeger's query API, e.g. `http://127.0.0.1:16686` (`JAEGER_QUERY_URL`);
    /// without it the trace route answers 503 `TRACING_DISABLED`.
    pub jaeger_query_url: Option<String>,
    /// Jaeger's UI as the browser reaches it (`JAEGER_UI_URL`); each trace
    /// then carries a link into it.
    pub jaeger_ui_url: Option<String>,
    /// A built single-page app to serve beside the API (`SPA_DIR`).
    pub spa_dir: Option<PathBuf>,
}

impl Config {
    /// The defaults: a local run with orders on 50051 and payments on 50052.
    pub fn local() -> Self {
        Self {
            listen_addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            orders_url: "http://127.0.0.1:50051".to_owned(),
            payments_url: "http://127.0.0.1:50052".to_owned(),
            request_timeout: Duration::from_millis(10_000),
            connect_timeout: Duration::from_millis(1_000),
            max_concurrent_requests: 512,
            cors_allowed_origins: vec!["http://localhost:5173".to_owned()],
            body_limit_bytes: 64 * 1024,
            body_read_timeout: Duration::from_millis(5_000),
            sse_heartbeat: Duration::from_millis(15_000),
            sse_max_lifetime: Duration::from_secs(300),
            jaeger_query_url: None,
            jaeger_ui_url: None,
            spa_dir: None,
        }
    }

    /// Reads the environment; unset or empty variables keep their default.
    pub fn from_env() -> anyhow::Result<Self> {
        let defaults = Self::local();
        let origins = env::string_or(
            vars::CORS_ALLOWED_ORIGINS,
            &defaults.cors_allowed_origins.join(","),
        );
        let config = Self {
            listen_addr: env::or(vars::GATEWAY_LISTEN_ADDR, defaults.listen_addr)?,
            orders_url: env::string_or(vars::ORDERS_URL, &defaults.orders_url),
            payments_url: env::string_or(vars::PAYMENTS_URL, &defaults.payments_url),
            request_timeout: env::millis_or(vars::REQUEST_TIMEOUT_MS, defaults.request_timeout)?,
            connect_timeout: env::millis_or(
                vars::UPSTREAM_CONNECT_TIMEOUT_MS,
                defaults.connect_timeout,
            )?,
            max_concurrent_requests: env::or(
                vars::MAX_CONCURRENT_REQUESTS,
                defaults.max_concurrent_requests,
            )?,
            cors_allowed_origins: parse_origins(&origins),
            body_limit_bytes: env::or(vars::BODY_LIMIT_BYTES, defaults.body_limit_bytes)?,
            body_read_timeout: env::millis_or(
                vars::BODY_READ_TIMEOUT_MS,
                defaults.body_read_timeout,
            )?,
            sse_heartbeat: env::millis_or(vars::SSE_HEARTBEAT_MS, defaults.sse_heartbeat)?,
            sse_max_lifetime: env::secs_or(vars::SSE_MAX_SECS, defaults.sse_max_lifetime)?,
            jaeger_query_url: optional(vars::JAEGER_QUERY_URL),
            jaeger_ui_url: optional(vars::JAEGER_UI_URL),
            spa_dir: optional(vars::SPA_DIR).map(PathBuf::from),
        };
        config.validate()?;
        Ok(config)
    }

    /// Rejects values the gateway cannot run with.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.request_timeout.is_zero(),
            "REQUEST_TIMEOUT_MS must be above 0"
        );
        anyhow::ensure!(
            !self.connect_timeout.is_zero(),
            "UPSTREAM_CONNECT_TIMEOUT_MS must be above 0"
        );
        anyhow::ensure!(
            self.max_concurrent_requests > 0,
            "MAX_CONCURRENT_REQUESTS must be above 0"
        );
        anyhow::ensure!(
            self.body_limit_bytes > 0,
            "BODY_LIMIT_BYTES must be above 0"
        );
        anyhow::ensure!(
            !self.body_read_timeout.is_zero(),
            "BODY_READ_TIMEOUT_MS must be above 0"
        );
        anyhow::ensure!(
            !self.sse_heartbeat.is_zero(),
            "SSE_HEARTBEAT_MS must be above 0"
        );
        anyhow::ensure!(
            !self.sse_max_lifetime.is_zero(),
            "SSE_MAX_SECS must be above 0"
        );
        if let Some(dir) = &self.spa_dir {
            anyhow::ensure!(
                dir.join("index.html").is_file(),
                "SPA_DIR: {} has no index.html",
                dir.display()
            );
        }
        for origin in &self.cors_allowed_origins {
            axum::http::HeaderValue::from_str(origin).with_context(|| {
                format!("CORS_ALLOWED_ORIGINS: {origin:?} is not a valid origin")
            })?;
        }
        Ok(())
    }
}

/// An environment variable, when set and not empty.
fn optional(name: &str) -> Option<String> {
    Some(env::string_or(name, "")).filter(|value| !value.is_empty())
}

fn parse_origins(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_a_comma_list_with_blanks_ignored() {
        assert_eq!(
            parse_origins(" http://a.test , ,http://b.test:5173,"),
            vec!["http://a.test", "http://b.test:5173"]
        );
    }

    #[test]
    fn the_local_defaults_are_valid() {
        assert!(Config::local().validate().is_ok());
    }

    #[test]
    fn a_zero_timeout_is_rejected() {
        let config = Config {
            request_timeout: Duration::ZERO,
            ..Config::local()
        };
        assert!(config.validate().is_err());
    }
}
