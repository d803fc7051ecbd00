//! The service's API answers UNAVAILABLE until the service is set up (its
//! database migrated, its topics created): the server binds at start, so a
//! call may come before the tables exist. Health and reflection answer
//! throughout.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use futures::future::{BoxFuture, FutureExt};
use tonic::{body::Body, server::NamedService};

/// `S` behind a gate that opens once, when the service is ready.
#[derive(Clone)]
pub struct Gated<S> {
    inner: S,
    open: Arc<AtomicBool>,
}

impl<S> Gated<S> {
    pub fn new(inner: S, open: Arc<AtomicBool>) -> Self {
        Self { inner, open }
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
        if self.open.load(Ordering::SeqCst) {
            self.inner.call(request).boxed()
        } else {
            let status = tonic::Status::unavailable(
                "starting: the service is not ready yet (see grpc.health.v1)",
            );
            futures::future::ready(Ok(status.into_http())).boxed()
        }
    }
}
