//! Traces as Jaeger's query API returns them, read into spans a test can
//! assert on.

use std::{collections::BTreeMap, time::Duration};

use orderflow_devstack::TestJaeger;
use serde_json::Value;

/// One span: its service, name, kind, ids and tags.
#[derive(Clone, Debug)]
pub struct Span {
    pub service: String,
    pub name: String,
    pub kind: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent: Option<String>,
    pub tags: BTreeMap<String, Value>,
}

impl Span {
    /// The tag `key` as text (numbers and booleans too).
    pub fn tag(&self, key: &str) -> Option<String> {
        self.tags.get(key).map(|value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    }
}

/// One trace's spans.
#[derive(Clone, Debug)]
pub struct Trace {
    pub spans: Vec<Span>,
}

impl Trace {
    fn parse(trace: &Value) -> Self {
        let processes = &trace["processes"];
        let spans = trace["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|span| {
                let tags: BTreeMap<String, Value> = span["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|tag| Some((tag["key"].as_str()?.to_owned(), tag["value"].clone())))
                    .collect();
                let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
                Span {
                    service: text(&processes[text(&span["processID"])]["serviceName"]),
                    name: text(&span["operationName"]),
                    kind: tags
                        .get("span.kind")
                        .and_then(Value::as_str)
                        .unwrap_or("internal")
                        .to_owned(),
                    trace_id: text(&span["traceID"]),
                    span_id: text(&span["spanID"]),
                    parent: span["references"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|reference| reference["refType"] == "CHILD_OF")
                        .map(|reference| text(&reference["spanID"])),
                    tags,
                }
            })
            .collect();
        Self { spans }
    }

    /// The spans of `service` named `name`.
    pub fn named(&self, service: &str, name: &str) -> Vec<&Span> {
        self.spans
            .iter()
            .filter(|span| span.service == service && span.name == name)
            .collect()
    }

    /// The one span of `service` named `name`.
    pub fn one(&self, service: &str, name: &str) -> &Span {
        match self.named(service, name).as_slice() {
            [span] => span,
            other => panic!(
                "expected one {service} span {name:?}, found {}:\n{}",
                other.len(),
                self.tree()
            ),
        }
    }

    pub fn parent_of(&self, span: &Span) -> Option<&Span> {
        let parent = span.parent.as_ref()?;
        self.spans
            .iter()
            .find(|candidate| &candidate.span_id == parent)
    }

    /// The spans whose parent is not in the trace, and the roots.
    pub fn roots(&self) -> Vec<&Span> {
        self.spans
            .iter()
            .filter(|span| self.parent_of(span).is_none())
            .collect()
    }

    /// The trace as an indented tree: service, name, kind.
    pub fn tree(&self) -> String {
        let mut out = String::new();
        for root in self.roots() {
            self.write(root, 0, &mut out);
        }
        out
    }

    fn write(&self, span: &Span, depth: usize, out: &mut String) {
        out.push_str(&format!(
            "{}{} | {} | {}\n",
            "  ".repeat(depth),
            span.service,
            span.name,
            span.kind
        ));
        let mut children: Vec<_> = self
            .spans
            .iter()
            .filter(|child| child.parent.as_deref() == Some(span.span_id.as_str()))
            .collect();
        children.sort_by_key(|child| child.tags.get("otel.name").map(Value::to_string));
        for child in children {
            self.write(child, depth + 1, out);
        }
    }
}

/// The traces the query `params` find.
async fn query(jaeger: &TestJaeger, path: &str) -> Result<Vec<Trace>, String> {
    let response = reqwest::get(format!("{}{path}", jaeger.query_url))
        .await
        .map_err(|error| error.to_string())?;
    let body: Value = response.json().await.map_err(|error| error.to_string())?;
    match body["data"].as_array() {
        Some(traces) if !traces.is_empty() => Ok(traces.iter().map(Trace::parse).collect()),
        _ => Err(format!("no trace yet: {body}")),
    }
}

/// The trace with `trace_id` once `complete` says it is.
pub async fn trace_by_id(
    jaeger: &TestJaeger,
    trace_id: &str,
    complete: impl Fn(&Trace) -> bool,
) -> Trace {
    orderflow_system_tests::eventually(
        "Jaeger has the whole trace",
        Duration::from_secs(60),
        || async {
            let traces = query(jaeger, &format!("/api/traces/{trace_id}")).await?;
            let trace = traces.into_iter().next().ok_or("no trace")?;
            if complete(&trace) {
                Ok(trace)
            } else {
                Err(format!("incomplete:\n{}", trace.tree()))
            }
        },
    )
    .await
}

/// The traces of `service` that have a span tagged `key = value`.
pub async fn traces_tagged(
    jaeger: &TestJaeger,
    service: &str,
    key: &str,
    value: &str,
) -> Vec<Trace> {
    let tags = serde_json::json!({ key: value }).to_string();
    let params = serde_urlencoded::to_string([
        ("service", service),
        ("tags", tags.as_str()),
        ("lookback", "1h"),
    ])
    .expect("query parameters");
    let path = format!("/api/traces?{params}");
    orderflow_system_tests::eventually(
        "Jaeger finds the trace by tag",
        Duration::from_secs(60),
        || query(jaeger, &path),
    )
    .await
}
