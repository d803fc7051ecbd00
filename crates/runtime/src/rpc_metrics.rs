//! `rpc.server.call.duration`: one histogram observation per gRPC request
//! served, labelled by the OpenTelemetry RPC conventions (`rpc.system`,
//! `rpc.service`, `rpc.method`, `rpc.grpc.status_code`). Its count is the
//! request rate, a non-zero status an error. The time runs from the request
//! to the end of the response body (its trailers), so a stream counts whole.

use std::{
    pin::Pin,
    sync::OnceLock,
    task::{Context, Poll},
    time::Instant,
};

use http_body::{Frame, SizeHint};
use opentelemetry::{KeyValue, metrics::Histogram};
use tower_service::Service;

type Body = tonic::body::Body;

fn histogram() -> &'static Histogram<f64> {
    static HISTOGRAM: OnceLock<Histogram<f64>> = OnceLock::new();
    HISTOGRAM.get_or_init(|| {
        crate::metrics::seconds_histogram(
            "rpc.server.call.duration",
            "gRPC requests served: their duration and status code",
        )
    })
}

/// The `grpc-status` in `headers`, if there is one.
fn status_in(headers: &http::HeaderMap) -> Option<i32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// The layer that measures each request of a server.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MetricsLayer;

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = Metered<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metered(inner)
    }
}

/// A service whose responses are measured.
#[derive(Clone, Debug)]
pub(crate) struct Metered<S>(S);

impl<S, B> Service<http::Request<B>> for Metered<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (service, method) = crate::rpc_span::service_and_method(request.uri().path());
        let labels = vec![
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", service.to_owned()),
            KeyValue::new("rpc.method", method.to_owned()),
        ];
        let started = Instant::now();
        let response = self.0.call(request);
        Box::pin(async move {
            let response = response.await?;
            let observation = Observation {
                labels,
                started,
                // A trailers-only answer (every error here) has it here.
                status: status_in(response.headers()),
                done: false,
            };
            Ok(response.map(|body| Body::new(MeteredBody { body, observation })))
        })
    }
}

/// What is recorded once the response ends.
struct Observation {
    labels: Vec<KeyValue>,
    started: Instant,
    status: Option<i32>,
    done: bool,
}

impl Observation {
    /// Records the request once: with its status, or CANCELLED (1) when the
    /// body was dropped before a status arrived.
    fn record(&mut self) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let mut labels = std::mem::take(&mut self.labels);
        labels.push(KeyValue::new(
            "rpc.grpc.status_code",
            i64::from(self.status.unwrap_or(1)),
        ));
        histogram().record(self.started.elapsed().as_secs_f64(), &labels);
    }
}

impl Drop for Observation {
    fn drop(&mut self) {
        self.record();
    }
}

struct MeteredBody {
    body: Body,
    observation: Observation,
}

impl http_body::Body for MeteredBody {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(status) = frame.trailers_ref().and_then(status_in) {
                    this.observation.status = Some(status);
                    this.observation.record();
                }
            }
            Poll::Ready(None) => this.observation.record(),
            Poll::Ready(Some(Err(_))) => {
                this.observation.status.get_or_insert(2);
                this.observation.record();
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_comes_from_the_grpc_status_header() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(status_in(&headers), None);
        headers.insert("grpc-status", http::HeaderValue::from_static("5"));
        assert_eq!(status_in(&headers), Some(5));
    }
}
