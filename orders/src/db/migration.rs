//! The orders schema, migrated at start-up.

use orderflow_idempotency::CreateIdempotencyKeys;
use orderflow_messaging::migration::CreateOutboxAndInbox;
use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateOutboxAndInbox),
            Box::new(CreateOrders),
            Box::new(CreateIdempotencyKeys),
            Box::new(AddOrderTrace),
            Box::new(NotifyOrderStatus),
            Box::new(NotifyOrderStatusChange),
        ]
    }
}

/// The trace and correlation id an order was created under (null for
/// orders created before).
struct AddOrderTrace;

impl MigrationName for AddOrderTrace {
    fn name(&self) -> &str {
        "m0004_add_order_trace"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddOrderTrace {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE orders ADD COLUMN trace_id TEXT, ADD COLUMN correlation_id TEXT",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE orders DROP COLUMN trace_id, DROP COLUMN correlation_id",
            )
            .await?;
        Ok(())
    }
}

struct CreateOrders;

impl MigrationName for CreateOrders {
    fn name(&self) -> &str {
        "m0002_create_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateOrders {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE TABLE orders (
    id             UUID        PRIMARY KEY,
    user_id        TEXT        NOT NULL,
    amount         BIGINT      NOT NULL CHECK (amount > 0),
    description    TEXT        NOT NULL,
    status         TEXT        NOT NULL CHECK (status IN ('NEW', 'FINISHED', 'CANCELLED')),
    failure_reason TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id DESC);
"#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE orders")
            .await?;
        Ok(())
    }
}

/// Every change of an order's status notifies `order_status` with the
/// order's id, in the transaction of the change (PostgreSQL delivers it at
/// commit), whichever code made the change. `WatchOrder` listens to it.
struct NotifyOrderStatus;

impl MigrationName for NotifyOrderStatus {
    fn name(&self) -> &str {
        "m0004_notify_order_status"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for NotifyOrderStatus {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE FUNCTION order_status_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('order_status', NEW.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER order_status_changed AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION order_status_notify();
"#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP TRIGGER order_status_changed ON orders; DROP FUNCTION order_status_notify();",
            )
            .await?;
        Ok(())
    }
}

/// The `order_status` notification carries the change itself, so a watcher
/// need not read the order again: `<id> <status> <updated_at, µs since the
/// epoch>[ <failure reason>]`. Watchers still read the order again after a
/// payload they cannot parse.
struct NotifyOrderStatusChange;

impl MigrationName for NotifyOrderStatusChange {
    fn name(&self) -> &str {
        "m0005_notify_order_status_change"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for NotifyOrderStatusChange {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE OR REPLACE FUNCTION order_status_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('order_status', concat_ws(' ',
        NEW.id::text,
        NEW.status,
        (extract(epoch FROM NEW.updated_at) * 1000000)::bigint,
        NEW.failure_reason));
    RETURN NULL;
END $$;
"#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE OR REPLACE FUNCTION order_status_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('order_status', NEW.id::text);
    RETURN NULL;
END $$;
"#,
            )
            .await?;
        Ok(())
    }
}
