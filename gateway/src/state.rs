//! What the handlers share: the services' channels, the event streams'
//! rules, and Jaeger's query API. Handlers take the part they need
//! (`State<Upstreams>`, `State<StreamRules>`, …).

use std::{sync::Arc, time::Duration};

use axum::extract::FromRef;
use tokio_util::sync::CancellationToken;

use crate::{Config, jaeger::Jaeger, upstream::Upstreams};

/// The router's state: cloned for every request, so one reference count.
#[derive(Clone, Debug)]
pub(crate) struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) upstreams: Upstreams,
    pub(crate) streams: StreamRules,
    /// `None` when tracing is off (no `JAEGER_QUERY_URL`).
    pub(crate) jaeger: Option<Jaeger>,
}

/// How event streams behave.
#[derive(Clone, Debug)]
pub(crate) struct StreamRules {
    pub(crate) heartbeat: Duration,
    pub(crate) max_lifetime: Duration,
    /// Cancelled when the gateway stops, which ends every stream so that
    /// the graceful shutdown does not wait for them.
    pub(crate) stop: CancellationToken,
}

impl AppState {
    pub(crate) fn new(config: &Config, stop: CancellationToken) -> anyhow::Result<Self> {
        Ok(Self(Arc::new(Shared {
            upstreams: Upstreams::connect_lazy(config)?,
            streams: StreamRules {
                heartbeat: config.sse_heartbeat,
                max_lifetime: config.sse_max_lifetime,
                stop,
            },
            jaeger: Jaeger::from_config(config)?,
        })))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for Upstreams {
    fn from_ref(state: &AppState) -> Self {
        state.upstreams.clone()
    }
}

impl FromRef<AppState> for StreamRules {
    fn from_ref(state: &AppState) -> Self {
        state.streams.clone()
    }
}

impl FromRef<AppState> for Option<Jaeger> {
    fn from_ref(state: &AppState) -> Self {
        state.jaeger.clone()
    }
}
