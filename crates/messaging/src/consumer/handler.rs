//! What a service gives the consumer: a [`Handler`] per kind of event, and
//! the errors it reports, each with what the consumer does about it.

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::failure::{self, Class};

/// Why an event was not applied, by what the consumer does about it.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The event is wrong and always will be: it goes to the dead-letter
    /// topic at once.
    #[error("invalid event: {0}")]
    Invalid(String),
    /// A dependency is unavailable: roll back and retry without end.
    #[error(transparent)]
    Unavailable(anyhow::Error),
    /// Applying it failed in a way that will likely fail again: roll back,
    /// retry a few times, then dead-letter it.
    #[error(transparent)]
    Deterministic(anyhow::Error),
}

impl HandleError {
    /// An error whose class [`failure::classify`] decides from its causes.
    pub(crate) fn classified(error: anyhow::Error) -> Self {
        match failure::classify(&error) {
            Class::Unavailable => Self::Unavailable(error),
            Class::Deterministic => Self::Deterministic(error),
        }
    }
}

/// Every error a handler propagates with `?` carries its class.
impl From<anyhow::Error> for HandleError {
    fn from(error: anyhow::Error) -> Self {
        Self::classified(error)
    }
}

impl From<orderflow_runtime::crash::Crash> for HandleError {
    fn from(crash: orderflow_runtime::crash::Crash) -> Self {
        Self::Unavailable(crash.into())
    }
}

/// A decoded event and its id.
pub struct Decoded<E> {
    pub event_id: Uuid,
    pub event: E,
}

/// What a service does with one kind of event.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// The decoded, validated event.
    type Event: Send + Sync;

    /// The protobuf message's full name, as in the `event-type` header.
    const EVENT_TYPE: &'static str;

    /// Decodes and validates a payload; the error text goes to the
    /// dead-letter header.
    fn decode(&self, payload: &[u8]) -> Result<Decoded<Self::Event>, String>;

    /// Applies the event inside `txn`, where its inbox record already is;
    /// returns what is left to do once that transaction has committed.
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        event: &Self::Event,
    ) -> Result<AfterCommit, HandleError>;
}

/// What applying an event leaves to do once its transaction has committed
/// (a metric, say): done only then, so a rolled-back attempt that is retried
/// or redelivered does not count twice.
pub type AfterCommit = Option<Box<dyn FnOnce() + Send>>;
