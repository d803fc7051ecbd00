//! The gateway's configuration, read once from the environment in `main`.

use std::{net::SocketAddr, time::Duration};

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
        CORS_ALLOWED_ORIGINS,
        BODY_LIMIT_BYTES,
        BODY_READ_TIMEOUT_MS,
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
    /// The budget of one HTTP request, and the deadline of each gRPC call
    /// it makes (`REQUEST_TIMEOUT_MS`).
    pub request_timeout: Duration,
    /// How long opening a connection to a service may take
    /// (`UPSTREAM_CONNECT_TIMEOUT_MS`).
    pub connect_timeout: Duration,
    /// Origins allowed to call the API from a browser (`CORS_ALLOWED_ORIGINS`, comma-separated).
    pub cors_allowed_origins: Vec<String>,
    /// The largest request body accepted, in bytes (`BODY_LIMIT_BYTES`).
    pub body_limit_bytes: usize,
    /// How long a request body may take to arrive in full once its headers
    /// have (`BODY_READ_TIMEOUT_MS`).
    pub body_read_timeout: Duration,
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
            cors_allowed_origins: vec!["http://localhost:5173".to_owned()],
            body_limit_bytes: 64 * 1024,
            body_read_timeout: Duration::from_millis(5_000),
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
            cors_allowed_origins: parse_origins(&origins),
            body_limit_bytes: env::or(vars::BODY_LIMIT_BYTES, defaults.body_limit_bytes)?,
            body_read_timeout: env::millis_or(
                vars::BODY_READ_TIMEOUT_MS,
                defaults.body_read_timeout,
            )?,
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
            self.body_limit_bytes > 0,
            "BODY_LIMIT_BYTES must be above 0"
        );
        anyhow::ensure!(
            !self.body_read_timeout.is_zero(),
            "BODY_READ_TIMEOUT_MS must be above 0"
        );
        for origin in &self.cors_allowed_origins {
            axum::http::HeaderValue::from_str(origin).with_context(|| {
                format!("CORS_ALLOWED_ORIGINS: {origin:?} is not a valid origin")
            })?;
        }
        Ok(())
    }
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
