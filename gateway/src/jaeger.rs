//! Jaeger's query API: the trace of an order, found by the `order_id` the
//! orders service records on its `place` span, as spans a waterfall can draw.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Config;

/// How far back a trace is searched for.
const LOOKBACK: &str = "24h";

/// Span tags that describe the instrumentation rather than the work.
const NOISE: &[&str] = &["span.kind", "busy_ns", "idle_ns", "target", "level"];
const NOISE_PREFIXES: &[&str] = &[
    "code.",
    "thread.",
    "otel.scope.",
    "otel.library.",
    "internal.",
];

/// A client of Jaeger's query API.
#[derive(Clone, Debug)]
pub struct Jaeger {
    client: reqwest::Client,
    query_url: String,
    ui_url: Option<String>,
}

/// An order's trace.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = OrderTrace)]
pub(crate) struct TraceView {
    /// The order the trace belongs to.
    pub(crate) order_id: String,
    /// The W3C trace id (32 hex digits).
    #[schema(example = "4bf92f3577b34da6a3ce929d0e0e4736")]
    pub(crate) trace_id: String,
    /// The trace in Jaeger's UI, when `JAEGER_UI_URL` is configured.
    #[schema(example = "http://localhost:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736")]
    pub(crate) jaeger_url: Option<String>,
    /// Every span of the trace, earliest first.
    pub(crate) spans: Vec<SpanView>,
}

/// One span of a trace.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = TraceSpan)]
pub(crate) struct SpanView {
    /// The span id (16 hex digits).
    pub(crate) span_id: String,
    /// The span it is part of; null for the trace's root.
    pub(crate) parent_id: Option<String>,
    /// The service that recorded it: `gateway`, `orders` or `payments`.
    #[schema(example = "orders")]
    pub(crate) service: String,
    #[schema(example = "place")]
    pub(crate) name: String,
    /// `server`, `client`, `producer`, `consumer` or `internal`.
    #[schema(example = "internal")]
    pub(crate) kind: String,
    /// Start, in microseconds since the Unix epoch.
    pub(crate) start_us: i64,
    /// Duration in microseconds.
    pub(crate) duration_us: i64,
    /// Whether the span recorded an error.
    pub(crate) error: bool,
    /// The span's attributes (e.g. `order_id`, `rpc.method`), without the
    /// instrumentation's own (code locations, thread ids).
    #[schema(value_type = Object)]
    pub(crate) attributes: BTreeMap<String, serde_json::Value>,
}

impl Jaeger {
    /// The client, when `JAEGER_QUERY_URL` is set.
    pub(crate) fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(query_url) = &config.jaeger_query_url else {
            return Ok(None);
        };
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .context("building Jaeger's HTTP client")?;
        let base = |url: &str| url.trim_end_matches('/').to_owned();
        Ok(Some(Self {
            client,
            query_url: base(query_url),
            ui_url: config.jaeger_ui_url.as_deref().map(base),
        }))
    }

    /// The first trace in which orders recorded `order_id` (a replayed
    /// request records it too, later), or `None` when Jaeger has none.
    pub(crate) async fn order_trace(&self, order_id: Uuid) -> anyhow::Result<Option<TraceView>> {
        let tags = serde_json::json!({ "order_id": order_id.to_string() }).to_string();
        let query = serde_urlencoded::to_string([
            ("service", "orders"),
            ("tags", tags.as_str()),
            ("lookback", LOOKBACK),
        ])
        .context("encoding the trace query")?;
        let response = self
            .client
            .get(format!("{}/api/traces?{query}", self.query_url))
            .send()
            .await
            .context("asking Jaeger for the order's traces")?
            .error_for_status()
            .context("Jaeger's answer")?;
        let found: Search = response.json().await.context("reading Jaeger's traces")?;
        let first = found
            .data
            .unwrap_or_default()
            .into_iter()
            .min_by_key(RawTrace::start);
        Ok(first.map(|trace| self.view(order_id, trace)))
    }

    fn view(&self, order_id: Uuid, trace: RawTrace) -> TraceView {
        let services: HashMap<String, String> = trace
            .processes
            .into_iter()
            .map(|(id, process)| (id, process.service_name))
            .collect();
        let mut spans: Vec<SpanView> = trace
            .spans
            .into_iter()
            .map(|span| span.view(&trace.trace_id, &services))
            .collect();
        spans.sort_by_key(|span| span.start_us);
        TraceView {
            order_id: order_id.to_string(),
            jaeger_url: self
                .ui_url
                .as_ref()
                .map(|ui| format!("{ui}/trace/{}", trace.trace_id)),
            trace_id: trace.trace_id,
            spans,
        }
    }
}

/// The answer of `/api/traces` (Jaeger's internal JSON model).
#[derive(Debug, Deserialize)]
struct Search {
    data: Option<Vec<RawTrace>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTrace {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(default)]
    spans: Vec<RawSpan>,
    #[serde(default)]
    processes: HashMap<String, RawProcess>,
}

impl RawTrace {
    fn start(&self) -> i64 {
        self.spans
            .iter()
            .map(|span| span.start_time)
            .min()
            .unwrap_or(i64::MAX)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProcess {
    service_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSpan {
    #[serde(rename = "spanID")]
    span_id: String,
    operation_name: String,
    #[serde(default)]
    references: Vec<RawReference>,
    start_time: i64,
    duration: i64,
    #[serde(default)]
    tags: Vec<RawTag>,
    #[serde(rename = "processID")]
    process_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReference {
    ref_type: String,
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Debug, Deserialize)]
struct RawTag {
    key: String,
    value: serde_json::Value,
}

impl RawSpan {
    fn view(self, trace_id: &str, services: &HashMap<String, String>) -> SpanView {
        let parent_id = self
            .references
            .iter()
            .find(|reference| reference.ref_type == "CHILD_OF" && reference.trace_id == trace_id)
            .map(|reference| reference.span_id.clone());
        let tag = |key: &str| {
            self.tags
                .iter()
                .find(|tag| tag.key == key)
                .map(|tag| &tag.value)
        };
        let kind = tag("span.kind")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("internal")
            .to_owned();
        let error = tag("error") == Some(&serde_json::Value::Bool(true))
            || tag("otel.status_code").and_then(serde_json::Value::as_str) == Some("ERROR");
        let attributes = self
            .tags
            .into_iter()
            .filter(|tag| !is_noise(&tag.key))
            .map(|tag| (tag.key, tag.value))
            .collect();
        SpanView {
            span_id: self.span_id,
            parent_id,
            service: services
                .get(&self.process_id)
                .cloned()
                .unwrap_or_else(|| self.process_id.clone()),
            name: self.operation_name,
            kind,
            start_us: self.start_time,
            duration_us: self.duration,
            error,
            attributes,
        }
    }
}

fn is_noise(key: &str) -> bool {
    NOISE.contains(&key) || NOISE_PREFIXES.iter().any(|prefix| key.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jaeger_span_becomes_a_waterfall_span() {
        let raw: RawTrace = serde_json::from_value(serde_json::json!({
            "traceID": "t1",
            "processes": { "p1": { "serviceName": "orders" } },
            "spans": [{
                "traceID": "t1", "spanID": "s2", "operationName": "place",
                "references": [{ "refType": "CHILD_OF", "traceID": "t1", "spanID": "s1" }],
                "startTime": 1000, "duration": 250, "processID": "p1",
                "tags": [
                    { "key": "order_id", "type": "string", "value": "o-1" },
                    { "key": "span.kind", "type": "string", "value": "server" },
                    { "key": "code.lineno", "type": "int64", "value": 33 },
                    { "key": "otel.status_code", "type": "string", "value": "ERROR" }
                ]
            }]
        }))
        .unwrap();
        let services = HashMap::from([("p1".to_owned(), "orders".to_owned())]);
        let span = raw.spans.into_iter().next().unwrap().view("t1", &services);
        assert_eq!(span.parent_id.as_deref(), Some("s1"));
        assert_eq!(
            (span.service.as_str(), span.name.as_str()),
            ("orders", "place")
        );
        assert_eq!(
            (span.kind.as_str(), span.start_us, span.duration_us),
            ("server", 1000, 250)
        );
        assert!(span.error);
        assert_eq!(
            span.attributes.keys().collect::<Vec<_>>(),
            ["order_id", "otel.status_code"]
        );
    }
}
