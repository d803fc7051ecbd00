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
        ]
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
