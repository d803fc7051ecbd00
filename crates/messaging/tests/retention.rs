//! Old published outbox rows and old inbox rows are deleted; nothing else is.

use std::time::Duration;

use orderflow_devstack::{TestEnv, count};
use orderflow_messaging::{MessagingConfig, migration::CreateOutboxAndInbox, retention};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::{MigrationTrait, MigratorTrait};

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateOutboxAndInbox)]
    }
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn a_sweep_deletes_only_published_outbox_rows_and_inbox_rows_past_their_retention() {
    let env = TestEnv::from_env();
    let db = Database::connect(&env.fresh_database("retention").await.unwrap())
        .await
        .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let outbox_row = |name: &str, created: &str, published: &str| {
        format!(
            "INSERT INTO outbox (event_id, topic, message_key, event_type, payload, created_at, published_at) \
             VALUES (gen_random_uuid(), '{name}', 'k', 't', '\\x00', {created}, {published})"
        )
    };
    // Published two days ago, published an hour ago, and never published (three days old).
    execute(
        &db,
        &outbox_row(
            "old",
            "now() - interval '2 days'",
            "now() - interval '2 days'",
        ),
    )
    .await;
    execute(
        &db,
        &outbox_row(
            "recent",
            "now() - interval '1 hour'",
            "now() - interval '1 hour'",
        ),
    )
    .await;
    execute(
        &db,
        &outbox_row("waiting", "now() - interval '3 days'", "NULL"),
    )
    .await;
    execute(
        &db,
        "INSERT INTO inbox (event_id, topic, event_type, received_at) VALUES \
         (gen_random_uuid(), 'old', 't', now() - interval '20 days'), \
         (gen_random_uuid(), 'recent', 't', now() - interval '2 days')",
    )
    .await;

    let mut config = MessagingConfig::new(env.kafka_brokers());
    config.outbox_retention = Duration::from_secs(86_400);
    config.inbox_retention = Duration::from_secs(14 * 86_400);
    let swept = retention::sweep(&db, &config).await.unwrap();

    assert_eq!((swept.outbox, swept.inbox), (1, 1));
    let left = count(
        &db,
        "SELECT count(*) AS n FROM outbox WHERE topic IN ('recent', 'waiting')",
    )
    .await;
    assert_eq!(left, 2, "the recent and the unpublished rows stay");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS n FROM inbox WHERE topic = 'recent'"
        )
        .await,
        1
    );
    assert_eq!(count(&db, "SELECT count(*) AS n FROM inbox").await, 1);
}
