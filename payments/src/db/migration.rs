//! The payments schema, migrated at start-up.

use orderflow_idempotency::CreateIdempotencyKeys;
use orderflow_messaging::migration::CreateOutboxAndInbox;
use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateOutboxAndInbox),
            Box::new(CreateAccountsAndPayments),
            Box::new(CreateIdempotencyKeys),
        ]
    }
}

struct CreateAccountsAndPayments;

impl MigrationName for CreateAccountsAndPayments {
    fn name(&self) -> &str {
        "m0002_create_accounts_and_payments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAccountsAndPayments {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE TABLE accounts (
    user_id    TEXT        PRIMARY KEY,
    balance    BIGINT      NOT NULL CHECK (balance >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per order: the second guard (after the inbox) against a double debit.
CREATE TABLE payments (
    order_id       UUID        PRIMARY KEY,
    event_id       UUID        NOT NULL,
    user_id        TEXT        NOT NULL,
    amount         BIGINT      NOT NULL CHECK (amount > 0),
    status         TEXT        NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED')),
    failure_reason TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
"#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE payments; DROP TABLE accounts;")
            .await?;
        Ok(())
    }
}
