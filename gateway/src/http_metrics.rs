//! `http.server.request.duration`: one histogram observation per request,
//! labelled by the OpenTelemetry HTTP conventions (`http.request.method`,
//! `http.route` when a route matched, `http.response.status_code`). Its
//! count is the request rate, a 5xx status an error. The time runs until the
//! response's head is ready (an event stream counts until it starts).

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request},
    http::{Method, StatusCode},
};
use opentelemetry::{KeyValue, metrics::Histogram};

fn histogram() -> &'static Histogram<f64> {
    static HISTOGRAM: OnceLock<Histogram<f64>> = OnceLock::new();
    HISTOGRAM.get_or_init(|| {
        orderflow_runtime::metrics::seconds_histogram(
            "http.server.request.duration",
            "HTTP requests served: their duration, route and status",
        )
    })
}

/// The labels of one request: its method, its route (not its path, which
/// holds ids) when one matched, and the status answered.
fn labels(method: &str, route: Option<&str>, status: u16) -> Vec<KeyValue> {
    let mut labels = vec![
        KeyValue::new("http.request.method", method.to_owned()),
        KeyValue::new("http.response.status_code", i64::from(status)),
    ];
    if let Some(route) = route {
        labels.push(KeyValue::new("http.route", route.to_owned()));
    }
    labels
}

/// One request being measured: started by [`Measure::start`] at the edge,
/// recorded by [`Measure::finish`] with the status answered.
pub(crate) struct Measure {
    started: Instant,
    method: Method,
    route: Option<MatchedPath>,
}

impl Measure {
    pub(crate) fn start(request: &Request) -> Self {
        Self {
            started: Instant::now(),
            method: request.method().clone(),
            route: request.extensions().get::<MatchedPath>().cloned(),
        }
    }

    pub(crate) fn finish(self, status: StatusCode) {
        histogram().record(
            self.started.elapsed().as_secs_f64(),
            &labels(
                self.method.as_str(),
                self.route.as_ref().map(MatchedPath::as_str),
                status.as_u16(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_labelled_by_its_route_not_its_path() {
        let matched = labels("GET", Some("/api/orders/{id}"), 200);
        assert!(matched.contains(&KeyValue::new("http.route", "/api/orders/{id}")));
        assert!(matched.contains(&KeyValue::new("http.response.status_code", 200_i64)));
        assert_eq!(labels("GET", None, 404).len(), 2);
    }
}
