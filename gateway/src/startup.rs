//! Builds the gateway: the channels to the services, the router with its
//! layers, and the bound listener.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::serve::ListenerExt;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderName, HeaderValue, Method, header, request::Parts},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
};

use crate::{
    Config,
    body::{self, BodyRules},
    correlation,
    error::ApiError,
    extract::USER_ID_HEADER,
    fallback_problems, http_metrics, idempotency, openapi, routes, spa,
    state::AppState,
};

/// A gateway bound to its address, ready to serve.
pub struct App {
    listener: TcpListener,
    router: Router,
    local_addr: SocketAddr,
    /// Ends the event streams when the gateway stops.
    streams: CancellationToken,
}

impl App {
    /// Creates the channels (connecting lazily), the router, and binds the
    /// listener, so that [`App::local_addr`] is known before serving.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        config.validate()?;
        let streams = CancellationToken::new();
        let router = router_with(&config, streams.clone())?;
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("binding {}", config.listen_addr))?;
        let local_addr = listener.local_addr().context("reading the bound address")?;
        Ok(Self {
            listener,
            router,
            local_addr,
            streams,
        })
    }

    /// The address the gateway listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` is cancelled, then lets requests in flight
    /// finish; event streams end at once.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr, "gateway listening");
        let streams = self.streams;
        let stopping = async move {
            shutdown.cancelled().await;
            streams.cancel();
        };
        // Answers go out at once, not held back by Nagle's algorithm.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::warn!(%error, "setting TCP_NODELAY on a client connection");
            }
        });
        axum::serve(listener, self.router)
            .with_graceful_shutdown(stopping)
            .await
            .context("serving HTTP")?;
        tracing::info!("gateway stopped");
        Ok(())
    }
}

/// The whole HTTP surface with its layers (outermost first): request
/// metrics, correlation id
/// and request span, error responses made problems, CORS, panics as 500 problems, reading the body (its
/// limit and read timeout), the extractors' body limit. The one timeout of a
/// request's upstream calls is each call's own deadline ([`crate::upstream`]).
/// Only the unit tests build it without event streams to stop.
#[cfg(test)]
pub(crate) fn router(config: &Config) -> anyhow::Result<Router> {
    router_with(config, CancellationToken::new())
}

/// [`router`], with event streams that end when `streams` is cancelled.
/// With `SPA_DIR`, the app is served for every path no route has (and `/`);
/// without, `/` leads to Swagger UI.
fn router_with(config: &Config, streams: CancellationToken) -> anyhow::Result<Router> {
    let state = AppState::new(config, streams)?;
    let (api, document) = openapi::split(config.max_concurrent_requests);
    let layers = ServiceBuilder::new()
        .layer(middleware::from_fn(edge))
        .layer(cors(config)?)
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::Unexpected(anyhow::anyhow!("a handler panicked")).into_response()
        }))
        .layer(middleware::from_fn_with_state(
            BodyRules {
                limit_bytes: config.body_limit_bytes,
                read_timeout: config.body_read_timeout,
            },
            body::read_body,
        ))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes));
    let api = api
        .merge(openapi::swagger(document))
        .route("/metrics", get(orderflow_runtime::metrics::handler));
    let api = match &config.spa_dir {
        Some(dir) => api.fallback_service(spa::service(dir)),
        None => api
            .route("/", get(|| async { Redirect::temporary("/swagger/") }))
            .fallback(routes::route_not_found),
    };
    Ok(api
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(layers))
}

/// The outermost layer, one middleware for three jobs per request (one boxed
/// future, not three): the request's metrics, its correlation id and span,
/// and error responses from below made problems.
async fn edge(request: Request, next: Next) -> Response {
    let measure = http_metrics::Measure::start(&request);
    let response = correlation::serve(request, |request| async move {
        fallback_problems::rewrite(next.run(request).await)
    })
    .await;
    measure.finish(response.status());
    response
}

/// Browsers on the configured origins may call the API.
fn cors(config: &Config) -> anyhow::Result<CorsLayer> {
    let origins = config
        .cors_allowed_origins
        .iter()
        .map(|origin| {
            origin
                .parse()
                .with_context(|| format!("CORS origin {origin:?}"))
        })
        .collect::<anyhow::Result<Arc<[HeaderValue]>>>()?;
    // A predicate over a shared list: the layer is cloned for every
    // request, and a list would be copied each time.
    let allowed = move |origin: &HeaderValue, _: &Parts| origins.contains(origin);
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(allowed))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static(USER_ID_HEADER),
            correlation::HEADER,
            idempotency::KEY_HEADER,
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("tracestate"),
        ])
        .expose_headers([
            header::LOCATION,
            correlation::HEADER,
            idempotency::REPLAYED_HEADER,
        ])
        .max_age(Duration::from_secs(600)))
}
