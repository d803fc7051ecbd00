//! The outbox: events stored with the state change that caused them.

use anyhow::Context;
use orderflow_runtime::db_span;
use orderflow_runtime::propagation::{self, TraceContext};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, entity::prelude::*};
use tracing::Instrument;
use uuid::Uuid;

/// An outbox row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    pub event_id: Uuid,
    pub topic: String,
    pub(crate) message_key: String,
    pub event_type: String,
    pub payload: Vec<u8>,
    pub(crate) trace_context: Json,
    pub(crate) created_at: ChronoDateTimeUtc,
    pub(crate) published_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The trace context stored with the row.
    pub(crate) fn trace(&self) -> TraceContext {
        serde_json::from_value(self.trace_context.clone()).unwrap_or_default()
    }
}

/// An event to publish: a protobuf message for `topic`, keyed by `key`.
#[derive(Clone, Debug)]
pub struct OutboxEvent {
    pub event_id: Uuid,
    pub topic: String,
    /// The partitioning key (the user id), so one user's events keep order.
    pub key: String,
    /// The protobuf message's full name.
    pub event_type: &'static str,
    /// The encoded protobuf message.
    pub payload: Vec<u8>,
}

/// Adds `event` to the outbox inside the caller's transaction, with the
/// current span's trace context.
pub async fn append(db: &impl ConnectionTrait, event: OutboxEvent) -> anyhow::Result<()> {
    let trace = serde_json::to_value(propagation::current()).context("encoding trace context")?;
    Entity::insert(ActiveModel {
        event_id: Set(event.event_id),
        topic: Set(event.topic),
        message_key: Set(event.key),
        event_type: Set(event.event_type.to_owned()),
        payload: Set(event.payload),
        trace_context: Set(trace),
        ..Default::default()
    })
    .exec_without_returning(db)
    .instrument(db_span::span("INSERT", "outbox"))
    .await
    .context("inserting into the outbox")?;
    Ok(())
}
