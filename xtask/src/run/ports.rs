//! The ports of `cargo xtask run`, each from its `ORDERFLOW_*_PORT` variable,
//! checked free before anything starts.

use std::net::{Ipv4Addr, TcpListener};

use anyhow::{Context, bail};

/// Every port the run command listens on (all on 127.0.0.1).
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub postgres: u16,
    pub kafka: u16,
    pub kafka_controller: u16,
    pub jaeger: u16,
    pub otlp: u16,
    pub otlp_http: u16,
    pub orders: u16,
    pub payments: u16,
    pub gateway: u16,
    pub orders_metrics: u16,
    pub payments_metrics: u16,
}

/// The variables and their defaults, in the order they are checked.
const VARIABLES: [(&str, u16); 11] = [
    ("ORDERFLOW_POSTGRES_PORT", 5432),
    ("ORDERFLOW_KAFKA_PORT", 9092),
    ("ORDERFLOW_KAFKA_CONTROLLER_PORT", 9093),
    ("ORDERFLOW_JAEGER_PORT", 16686),
    ("ORDERFLOW_OTLP_PORT", 4317),
    ("ORDERFLOW_OTLP_HTTP_PORT", 4318),
    ("ORDERFLOW_ORDERS_PORT", 50051),
    ("ORDERFLOW_PAYMENTS_PORT", 50052),
    ("ORDERFLOW_GATEWAY_PORT", 8080),
    ("ORDERFLOW_ORDERS_METRICS_PORT", 9464),
    ("ORDERFLOW_PAYMENTS_METRICS_PORT", 9465),
];

impl Ports {
    /// Reads the variables; fails on a value that is not a port.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut values = [0u16; VARIABLES.len()];
        for (value, (name, default)) in values.iter_mut().zip(VARIABLES) {
            *value = match std::env::var(name) {
                Ok(text) if !text.trim().is_empty() => text
                    .trim()
                    .parse()
                    .with_context(|| format!("{name}={text:?} is not a port"))?,
                _ => default,
            };
        }
        let [
            postgres,
            kafka,
            kafka_controller,
            jaeger,
            otlp,
            otlp_http,
            orders,
            payments,
            gateway,
            orders_metrics,
            payments_metrics,
        ] = values;
        Ok(Self {
            postgres,
            kafka,
            kafka_controller,
            jaeger,
            otlp,
            otlp_http,
            orders,
            payments,
            gateway,
            orders_metrics,
            payments_metrics,
        })
    }

    /// Fails, naming the variable, when a port is taken.
    pub fn ensure_free(&self) -> anyhow::Result<()> {
        let ports = [
            self.postgres,
            self.kafka,
            self.kafka_controller,
            self.jaeger,
            self.otlp,
            self.otlp_http,
            self.orders,
            self.payments,
            self.gateway,
            self.orders_metrics,
            self.payments_metrics,
        ];
        for (port, (name, _)) in ports.into_iter().zip(VARIABLES) {
            if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
                bail!(
                    "port {port} on 127.0.0.1 is already taken (by another program, or a \
                     system still running); free it or choose another with {name}=..."
                );
            }
        }
        Ok(())
    }
}
