//! Tracing set-up: logs to stdout always, spans to an OTLP collector when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_subscriber::{
    EnvFilter, Layer, filter::LevelFilter, layer::SubscriberExt, util::SubscriberInitExt,
};

crate::env_names! {
    /// What [`init`] reads: the log filter and the OTLP collector (every
    /// binary reads these besides its own `Config`).
    pub mod vars { RUST_LOG, OTEL_EXPORTER_OTLP_ENDPOINT }
}

/// Flushes and shuts the span exporter down when dropped.
#[must_use = "dropping the guard shuts the exporter down"]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing spans at shutdown failed");
        }
    }
}

/// Installs the global subscriber for `service` (filter from `RUST_LOG`,
/// default `info`) and the W3C trace-context propagator.
pub fn init(service: &'static str) -> anyhow::Result<Guard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    // `RUST_LOG` says what is logged; spans are exported from `info` up
    // whatever it says, so a quiet log still gives whole traces.
    let filter = EnvFilter::try_from_env(vars::RUST_LOG).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(true)
        .with_filter(filter);
    let endpoint = std::env::var(vars::OTEL_EXPORTER_OTLP_ENDPOINT)
        .ok()
        .filter(|value| !value.is_empty());
    let Some(endpoint) = endpoint else {
        tracing_subscriber::registry()
            .with(fmt)
            .try_init()
            .context("installing the tracing subscriber")?;
        return Ok(Guard { provider: None });
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()
        .context("building the OTLP span exporter")?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build();
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
    tracing::info!(%endpoint, "exporting spans over OTLP");
    Ok(Guard {
        provider: Some(provider),
    })
}
