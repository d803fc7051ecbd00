//! Metrics through the OpenTelemetry API: always rendered as Prometheus text
//! for `GET /metrics`, and pushed over OTLP too when the telemetry config
//! names an endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, read once by
//! [`TelemetryConfig`](crate::telemetry::TelemetryConfig)). Instruments come
//! from [`meter`]; [`telemetry::init`](crate::telemetry::init) installs the
//! provider.

use std::net::SocketAddr;

use anyhow::Context;
use axum::{http::header, response::IntoResponse, routing::get};
use opentelemetry::metrics::Meter;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::{Resource, metrics::SdkMeterProvider};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Buckets (seconds) of the duration histograms: 1 ms to 60 s.
pub(crate) const DURATION_BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The meter every instrument here comes from.
pub fn meter() -> Meter {
    opentelemetry::global::meter("orderflow")
}

/// A duration histogram in seconds named `name`, with [`DURATION_BUCKETS`].
pub fn seconds_histogram(
    name: &'static str,
    description: &'static str,
) -> opentelemetry::metrics::Histogram<f64> {
    meter()
        .f64_histogram(name)
        .with_unit("s")
        .with_description(description)
        .with_boundaries(DURATION_BUCKETS.to_vec())
        .build()
}

/// The meter provider: a Prometheus reader on the process's default
/// registry, and a periodic OTLP exporter to `otlp_endpoint` when there is
/// one (the same endpoint the span exporter uses). Installed as the global
/// provider.
pub(crate) fn install(
    resource: Resource,
    otlp_endpoint: Option<&str>,
) -> anyhow::Result<SdkMeterProvider> {
    // Without a registry the exporter makes a new one, not the default.
    let prometheus = opentelemetry_prometheus::exporter()
        .with_registry(prometheus::default_registry().clone())
        .build()
        .context("building the Prometheus exporter")?;
    let mut builder = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_reader(prometheus);
    if let Some(endpoint) = otlp_endpoint {
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .context("building the OTLP metric exporter")?;
        builder = builder.with_periodic_exporter(exporter);
    }
    let provider = builder.build();
    opentelemetry::global::set_meter_provider(provider.clone());
    Ok(provider)
}

/// Every metric of this process in the Prometheus text format.
pub(crate) fn render() -> Result<String, prometheus::Error> {
    prometheus::TextEncoder::new().encode_to_string(&prometheus::gather())
}

/// The `GET /metrics` handler: Prometheus text, or 500 when encoding fails.
pub async fn handler() -> axum::response::Response {
    match render() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering metrics failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A bound `/metrics` listener (`METRICS_LISTEN_ADDR`; port 0 in tests).
pub struct MetricsListener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl MetricsListener {
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the metrics listener {addr}"))?;
        let addr = listener
            .local_addr()
            .context("reading the metrics address")?;
        Ok(Self { listener, addr })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `GET /metrics` until `shutdown`.
    pub async fn serve(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let router = axum::Router::new().route("/metrics", get(handler));
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .context("serving /metrics")
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::KeyValue;

    /// The only test here that installs the global provider.
    #[test]
    fn instruments_render_as_prometheus_text_with_units_and_suffixes() {
        super::install(opentelemetry_sdk::Resource::builder().build(), None).unwrap();
        super::meter()
            .u64_counter("orders.created")
            .build()
            .add(2, &[]);
        super::seconds_histogram("rpc.server.call.duration", "calls")
            .record(0.1, &[KeyValue::new("rpc.grpc.status_code", 0_i64)]);
        let text = super::render().unwrap();
        assert!(
            text.contains("orders_created_total{otel_scope_name=\"orderflow\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "rpc_server_call_duration_seconds_count{rpc_grpc_status_code=\"0\",otel_scope_name=\"orderflow\"} 1"
            ),
            "{text}"
        );
    }
}
