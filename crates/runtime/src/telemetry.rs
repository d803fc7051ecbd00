//! Tracing set-up: logs to stdout always (human-readable, or JSON lines with
//! `LOG_FORMAT=json`), spans to an OTLP collector when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and metrics (see [`crate::metrics`]).
//!
//! Spans get OpenTelemetry trace ids whether or not they are exported, so
//! the gateway can make a trace id the correlation id and every log line
//! can name its trace.

use anyhow::Context;
use opentelemetry::{KeyValue, trace::TracerProvider as _};
use opentelemetry_sdk::{
    Resource,
    propagation::{BaggagePropagator, TraceContextPropagator},
    trace::SdkTracerProvider,
};
use tracing_subscriber::{
    EnvFilter, Layer, filter::LevelFilter, layer::SubscriberExt, util::SubscriberInitExt,
};

crate::env_names! {
    /// What [`init`] reads: the log filter and the OTLP collector (every
    /// binary reads these besides its own `Config`).
    pub mod vars { RUST_LOG, LOG_FORMAT, OTEL_EXPORTER_OTLP_ENDPOINT }
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One line per event for people (the default).
    Human,
    /// One JSON object per line, with the fields of the spans it is in.
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT`: `json`, or anything else for human-readable.
    fn from_env() -> Self {
        match std::env::var(vars::LOG_FORMAT) {
            Ok(value) if value.eq_ignore_ascii_case("json") => Self::Json,
            _ => Self::Human,
        }
    }
}

/// Installs the global subscriber for `service` at `version` (filter from
/// `RUST_LOG`, default `info`; format from `LOG_FORMAT`) and the W3C
/// trace-context and baggage propagators.
pub fn init(service: &'static str, version: &'static str) -> anyhow::Result<Guard> {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry::propagation::TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]),
    );
    // `RUST_LOG` says what is logged; spans are exported from `info` up
    // whatever it says, so a quiet log still gives whole traces.
    let filter = EnvFilter::try_from_env(vars::RUST_LOG).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = match LogFormat::from_env() {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_target(true)
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
    let endpoint = std::env::var(vars::OTEL_EXPORTER_OTLP_ENDPOINT)
        .ok()
        .filter(|value| !value.is_empty());
    let resource = Resource::builder()
        .with_service_name(service)
        .with_attribute(KeyValue::new("service.version", version))
        .build();
    let meters = crate::metrics::install(resource.clone(), endpoint.is_some())?;
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if endpoint.is_some() {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
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
