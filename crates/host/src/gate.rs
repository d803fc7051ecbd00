//! The service's API answers UNAVAILABLE until the service is set up (its
//! database migrated, its topics created): the server binds at start, so a
//! call may come before the tables exist. Health and reflection answer
//! throughout. Once open, a call the API answers UNAVAILABLE (its database
//! did not answer) makes the health monitor check at once.

use std::task::{Context, Poll};

use futures::future::{BoxFuture, FutureExt};
use tonic::{body::Body, server::NamedService};

use crate::health::Recheck;

/// `S` behind a gate that opens once, when the service is ready.
#[derive(Clone)]
pub(crate) struct Gated<S> {
    inner: S,
    recheck: Recheck,
}

impl<S> Gated<S> {
    pub(crate) fn new(inner: S, recheck: Recheck) -> Self {
        Self { inner, recheck }
    }
}

impl<S: NamedService> NamedService for Gated<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower_service::Service<http::Request<Body>> for Gated<S>
where
    S: tower_service::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = std::convert::Infallible,
        > + Send,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if self.recheck.is_ready() {
            let recheck = self.recheck.clone();
            self.inner
                .call(request)
                .map(move |response| {
                    if let Ok(response) = &response
                        && is_unavailable(response)
                    {
                        recheck.now();
                    }
                    response
                })
                .boxed()
        } else {
            let status = tonic::Status::unavailable(
                "starting: the service is not ready yet (see grpc.health.v1)",
            );
            futures::future::ready(Ok(status.into_http())).boxed()
        }
    }
}

/// Whether `response` is an error status UNAVAILABLE (sent in its headers,
/// as a trailers-only answer).
fn is_unavailable(response: &http::Response<Body>) -> bool {
    response
        .headers()
        .get("grpc-status")
        .is_some_and(|code| code.as_bytes() == b"14")
}
