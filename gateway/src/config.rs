//! The gateway's configuration, read once from the environment in `main`.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use figment::{
    Figment,
    providers::{Env, Serialized},
};
use serde::{Deserialize, Serialize};

orderflow_runtime::env_names! {
    /// Every variable [`Config::from_env`] reads; it reads only these.
    pub(crate) mod vars {
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

/// Everything the gateway can be told. Tests build one directly;
/// [`Config::from_env`] reads it from the environment.
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

    /// Reads the environment through one typed loader: [`Config::local`]'s
    /// values, overridden by the variables in [`vars::ALL`] that are set and
    /// not empty. A value of the wrong type or shape is an error naming its
    /// variable; then [`Config::validate`] rejects the values the gateway
    /// cannot run with, also by name.
    pub fn from_env() -> anyhow::Result<Self> {
        let values: Values = Figment::from(Serialized::defaults(Values::from(&Self::local())))
            .merge(Env::raw().filter_map(|name| {
                let known = vars::ALL
                    .iter()
                    .any(|var| name.as_str().eq_ignore_ascii_case(var));
                let set = std::env::var_os(name.as_str()).is_some_and(|value| !value.is_empty());
                (known && set).then(|| name.into())
            }))
            .extract()
            .map_err(|error| anyhow::anyhow!("{}", named(error)))?;
        let config = Self::from(values);
        config.validate()?;
        Ok(config)
    }

    /// Rejects values the gateway cannot run with.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
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

/// The configuration as the environment spells it: one field per variable
/// (lower case), durations in their variable's unit.
#[derive(Debug, Deserialize, Serialize)]
struct Values {
    gateway_listen_addr: SocketAddr,
    orders_url: String,
    payments_url: String,
    request_timeout_ms: u64,
    upstream_connect_timeout_ms: u64,
    max_concurrent_requests: usize,
    cors_allowed_origins: String,
    body_limit_bytes: usize,
    body_read_timeout_ms: u64,
    sse_heartbeat_ms: u64,
    sse_max_secs: u64,
    jaeger_query_url: Option<String>,
    jaeger_ui_url: Option<String>,
    spa_dir: Option<PathBuf>,
}

impl From<&Config> for Values {
    fn from(config: &Config) -> Self {
        let millis = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Self {
            gateway_listen_addr: config.listen_addr,
            orders_url: config.orders_url.clone(),
            payments_url: config.payments_url.clone(),
            request_timeout_ms: millis(config.request_timeout),
            upstream_connect_timeout_ms: millis(config.connect_timeout),
            max_concurrent_requests: config.max_concurrent_requests,
            cors_allowed_origins: config.cors_allowed_origins.join(","),
            body_limit_bytes: config.body_limit_bytes,
            body_read_timeout_ms: millis(config.body_read_timeout),
            sse_heartbeat_ms: millis(config.sse_heartbeat),
            sse_max_secs: config.sse_max_lifetime.as_secs(),
            jaeger_query_url: config.jaeger_query_url.clone(),
            jaeger_ui_url: config.jaeger_ui_url.clone(),
            spa_dir: config.spa_dir.clone(),
        }
    }
}

impl From<Values> for Config {
    fn from(values: Values) -> Self {
        Self {
            listen_addr: values.gateway_listen_addr,
            orders_url: values.orders_url,
            payments_url: values.payments_url,
            request_timeout: Duration::from_millis(values.request_timeout_ms),
            connect_timeout: Duration::from_millis(values.upstream_connect_timeout_ms),
            max_concurrent_requests: values.max_concurrent_requests,
            cors_allowed_origins: parse_origins(&values.cors_allowed_origins),
            body_limit_bytes: values.body_limit_bytes,
            body_read_timeout: Duration::from_millis(values.body_read_timeout_ms),
            sse_heartbeat: Duration::from_millis(values.sse_heartbeat_ms),
            sse_max_lifetime: Duration::from_secs(values.sse_max_secs),
            jaeger_query_url: values.jaeger_query_url,
            jaeger_ui_url: values.jaeger_ui_url,
            spa_dir: values.spa_dir,
        }
    }
}

/// The loader's error, each problem naming its variable:
/// `REQUEST_TIMEOUT_MS: invalid type: found string "ten", expected u64`.
fn named(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|problem| {
            let name = problem.path.join(".").to_ascii_uppercase();
            format!("{name}: {}", problem.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
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

    /// `from_env` with these variables set (and nothing else of ours).
    #[allow(clippy::result_large_err)] // figment's own closure type
    fn from(vars: &[(&str, &str)]) -> Result<Config, String> {
        let mut outcome = None;
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            for (name, value) in vars {
                jail.set_env(name, value);
            }
            outcome = Some(Config::from_env().map_err(|error| format!("{error:#}")));
            Ok(())
        });
        outcome.expect("the jail ran")
    }

    #[test]
    fn unset_and_empty_variables_take_the_defaults() {
        let config = from(&[("SPA_DIR", ""), ("REQUEST_TIMEOUT_MS", "")]).unwrap();
        let local = Config::local();
        assert_eq!(config.listen_addr, local.listen_addr);
        assert_eq!(config.request_timeout, local.request_timeout);
        assert_eq!(
            config.max_concurrent_requests,
            local.max_concurrent_requests
        );
        assert_eq!(config.cors_allowed_origins, local.cors_allowed_origins);
        assert_eq!(config.spa_dir, None);
        assert_eq!(config.jaeger_query_url, None);
    }

    #[test]
    fn set_variables_override_the_defaults() {
        let config = from(&[
            ("GATEWAY_LISTEN_ADDR", "127.0.0.1:9090"),
            ("ORDERS_URL", "http://orders:50051"),
            ("REQUEST_TIMEOUT_MS", "2500"),
            ("MAX_CONCURRENT_REQUESTS", "64"),
            ("CORS_ALLOWED_ORIGINS", "http://a.test, http://b.test"),
            ("SSE_MAX_SECS", "60"),
            ("JAEGER_QUERY_URL", "http://jaeger:16686"),
        ])
        .unwrap();
        assert_eq!(config.listen_addr, SocketAddr::from(([127, 0, 0, 1], 9090)));
        assert_eq!(config.orders_url, "http://orders:50051");
        assert_eq!(config.request_timeout, Duration::from_millis(2500));
        assert_eq!(config.max_concurrent_requests, 64);
        assert_eq!(
            config.cors_allowed_origins,
            ["http://a.test", "http://b.test"]
        );
        assert_eq!(config.sse_max_lifetime, Duration::from_secs(60));
        assert_eq!(
            config.jaeger_query_url.as_deref(),
            Some("http://jaeger:16686")
        );
    }

    #[test]
    fn malformed_values_are_rejected_naming_their_variable() {
        for (name, value) in [
            ("REQUEST_TIMEOUT_MS", "ten"),
            ("REQUEST_TIMEOUT_MS", "1.5"),
            ("MAX_CONCURRENT_REQUESTS", "-1"),
            ("BODY_LIMIT_BYTES", "64k"),
            ("GATEWAY_LISTEN_ADDR", "localhost"),
            ("SSE_MAX_SECS", "true"),
        ] {
            let error = from(&[(name, value)]).unwrap_err();
            assert!(
                error.starts_with(&format!("{name}: ")),
                "{name}={value}: {error}"
            );
        }
    }

    #[test]
    fn values_the_gateway_cannot_run_with_are_rejected_naming_their_variable() {
        for name in [
            "REQUEST_TIMEOUT_MS",
            "MAX_CONCURRENT_REQUESTS",
            "SSE_HEARTBEAT_MS",
        ] {
            let error = from(&[(name, "0")]).unwrap_err();
            assert!(error.contains(name), "{name}=0: {error}");
        }
        let error = from(&[("CORS_ALLOWED_ORIGINS", "http://a\u{1}.test")]).unwrap_err();
        assert!(error.contains("CORS_ALLOWED_ORIGINS"), "{error}");
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
