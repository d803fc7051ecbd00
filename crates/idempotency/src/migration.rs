//! The `idempotency_keys` table, a migration each service that takes keys
//! includes in its own migrator.

use sea_orm_migration::prelude::*;

/// Creates `idempotency_keys`: one row per (user, key), with the request's
/// fingerprint and the answer given to it.
pub struct CreateIdempotencyKeys;

impl MigrationName for CreateIdempotencyKeys {
    fn name(&self) -> &str {
        "m0003_create_idempotency_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateIdempotencyKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE TABLE idempotency_keys (
    user_id         TEXT        NOT NULL,
    idempotency_key TEXT        NOT NULL,
    fingerprint     BYTEA       NOT NULL,
    -- The encoded answer; set in the same transaction as the row, so no
    -- other transaction ever sees it empty.
    response        BYTEA,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
"#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE idempotency_keys")
            .await?;
        Ok(())
    }
}
