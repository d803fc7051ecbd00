//! Tracing set-up: logs to stdout always (human-readable, or JSON lines with
//! `LOG_FORMAT=json`), spans to an OTLP collector when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and metrics (see [`crate::metrics`]).
//!
//! Spans get OpenTelemetry trace ids whether or not they are exported, so
//! the gateway can make a trace id the correlation id and every log line
//! can name its trace.

use std::io::IsTerminal as _;

use anyhow::Context;
use opentelemetry::{KeyValue, trace::TracerProvider as _};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::{
    Resource,
    propagation::{BaggagePropagator, TraceContextPropagator},
    trace::SdkTracerProvider,
};
use tracing_subscriber::{
    EnvFilter, Layer, filter::LevelFilter, layer::SubscriberExt, util::SubscriberInitExt,
};

crate::env_names! {
    /// What [`init`] reads ([`TelemetryConfig`]'s variables), for the
    /// gateway's list until it lists [`crate::env::names`] too.
    pub mod vars { RUST_LOG, LOG_FORMAT, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_METRICS_EXPORTER }
}

/// Flushes and shuts the span exporter down when dropped.
#[must_use = "dropping the guard shuts the exporter down"]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
    meters: Option<opentelemetry_sdk::metrics::SdkMeterProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing spans at shutdown failed");
        }
        if let Some(meters) = self.meters.take()
            && let Err(error) = meters.shutdown()
        {
            tracing::warn!(%error, "flushing metrics at shutdown failed");
        }
    }
}

/// How log lines look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// One line per event for people (the default).
    #[default]
    Human,
    /// One JSON object per line, with the fields of the spans it is in.
    Json,
}

/// Where metrics go besides the Prometheus endpoint (`OTEL_METRICS_EXPORTER`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum MetricsExporter {
    /// Pushed over OTLP to `OTEL_EXPORTER_OTLP_ENDPOINT` when it is set (the default).
    #[default]
    Otlp,
    /// Only served at `/metrics`: for an OTLP endpoint that takes traces
    /// alone (Jaeger, in the local run), which would refuse every push.
    None,
}

impl std::str::FromStr for MetricsExporter {
    type Err = String;

    /// `otlp` or `none` (any case), as the OpenTelemetry SDKs name them.
    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "otlp" => Ok(Self::Otlp),
            "none" => Ok(Self::None),
            _ => Err("expected otlp or none".into()),
        }
    }
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    /// `human` or `json` (any case); anything else is refused.
    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "human" => Ok(Self::Human),
            "json" => Ok(Self::Json),
            _ => Err("expected human or json".into()),
        }
    }
}

/// What [`init`] is configured with: a section of each binary's config.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct TelemetryConfig {
    /// `RUST_LOG` (default `info`): what is logged, as an `EnvFilter`
    /// directive; a malformed one is refused at start.
    #[serde(rename = "RUST_LOG")]
    pub(crate) log_filter: String,
    /// `LOG_FORMAT`: `human` (default) or `json`.
    #[serde(rename = "LOG_FORMAT", deserialize_with = "crate::env::parsed")]
    pub(crate) log_format: LogFormat,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: where spans and metrics are pushed
    /// (OTLP/gRPC); unset, nothing is exported.
    #[serde(rename = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// `OTEL_METRICS_EXPORTER`: `otlp` (default: metrics are pushed to the
    /// OTLP endpoint too) or `none` (served at `/metrics` only).
    #[serde(
        rename = "OTEL_METRICS_EXPORTER",
        deserialize_with = "crate::env::parsed"
    )]
    pub(crate) metrics_exporter: MetricsExporter,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_filter: "info".into(),
            log_format: LogFormat::Human,
            otlp_endpoint: None,
            metrics_exporter: MetricsExporter::Otlp,
        }
    }
}

impl TelemetryConfig {
    /// Loads the section from the environment (see [`crate::env::load`]).
    pub fn from_env() -> anyhow::Result<Self> {
        crate::env::load(&[])
    }

    fn filter(&self) -> anyhow::Result<EnvFilter> {
        EnvFilter::try_new(&self.log_filter)
            .with_context(|| format!("RUST_LOG={:?} is not a valid filter", self.log_filter))
    }
}

/// Loads [`TelemetryConfig`] from the environment, then [`init_with`] it.
pub fn init(service: &'static str, version: &'static str) -> anyhow::Result<Guard> {
    init_with(service, version, &TelemetryConfig::from_env()?)
}

/// Installs the global subscriber for `service` at `version` (filter,
/// format and exporter from `config`) and the W3C trace-context and baggage
/// propagators.
pub fn init_with(
    service: &'static str,
    version: &'static str,
    config: &TelemetryConfig,
) -> anyhow::Result<Guard> {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry::propagation::TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]),
    );
    // `RUST_LOG` says what is logged; spans are exported from `info` up
    // whatever it says, so a quiet log still gives whole traces.
    let filter = config.filter()?;
    let fmt = match config.log_format {
        // Colours only on a terminal: a log file or pipe gets plain text,
        // and no escape codes are formatted for it.
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_target(true)
            .with_ansi(std::io::stdout().is_terminal())
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .with_filter(filter)
            .boxed(),
    };
    let endpoint = config
        .otlp_endpoint
        .clone()
        .filter(|value| !value.is_empty());
    let resource = Resource::builder()
        .with_service_name(service)
        .with_attribute(KeyValue::new("service.version", version))
        .build();
    let metrics_endpoint = endpoint
        .as_deref()
        .filter(|_| config.metrics_exporter == MetricsExporter::Otlp);
    let meters = crate::metrics::install(resource.clone(), metrics_endpoint)?;
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .context("building the OTLP span exporter")?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    let tracer = provider.tracer(service);
    opentelemetry::global::set_tracer_provider(provider.clone());
    tracing_subscriber::registry()
        .with(fmt)
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(LevelFilter::INFO),
        )
        .try_init()
        .context("installing the tracing subscriber")?;
    if let Some(endpoint) = endpoint {
        tracing::info!(%endpoint, "exporting spans over OTLP");
    }
    Ok(Guard {
        provider: Some(provider),
        meters: Some(meters),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listed_variables_are_the_configs_fields() {
        assert_eq!(crate::env::names::<TelemetryConfig>(), vars::ALL);
    }

    #[test]
    fn a_log_format_is_human_or_json_and_nothing_else() {
        assert_eq!("JSON".parse(), Ok(LogFormat::Json));
        assert_eq!("human".parse(), Ok(LogFormat::Human));
        assert!("xml".parse::<LogFormat>().is_err());
    }

    #[test]
    fn a_metrics_exporter_is_otlp_or_none_and_nothing_else() {
        assert_eq!("OTLP".parse(), Ok(MetricsExporter::Otlp));
        assert_eq!("none".parse(), Ok(MetricsExporter::None));
        assert!("prometheus".parse::<MetricsExporter>().is_err());
    }

    #[test]
    fn a_malformed_log_filter_is_refused_with_its_variable() {
        let config = TelemetryConfig {
            log_filter: "info,[".into(),
            ..TelemetryConfig::default()
        };
        let error = format!("{:#}", config.filter().unwrap_err());
        assert!(error.contains("RUST_LOG"), "{error}");
    }
}
