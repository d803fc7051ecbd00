//! Replicas of one service share its database: started at once on an empty
//! database, they take turns at the migrations (an advisory lock), so both
//! come up and each migration is applied once.

use std::time::Duration;

use orderflow_devstack::TestEnv;
use orderflow_system_tests::{TestSystem, fresh_orders_config, health_status, until};
use sea_orm::Database;
use sea_orm_migration::MigratorTrait;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_check_response::ServingStatus;

#[tokio::test]
async fn two_replicas_started_at_once_on_an_empty_database_both_come_up_and_migrate_once() {
    let env = TestEnv::from_env();
    let first = fresh_orders_config(&env, env.kafka_brokers()).await;
    // The same database, topics and group: a second replica of the first.
    let second = first.clone();
    let database_url = first.host.database_url.expose().to_owned();

    let (first, second) = tokio::join!(orders::App::build(first), orders::App::build(second));
    let (first, second) = (
        first.expect("the first replica starts"),
        second.expect("the second replica starts"),
    );
    let addrs = [first.grpc_addr(), second.grpc_addr()];
    let shutdown = CancellationToken::new();
    let running = [
        tokio::spawn(first.run_until_stopped(shutdown.clone())),
        tokio::spawn(second.run_until_stopped(shutdown.clone())),
    ];
    for addr in addrs {
        let _serving = until(
            &format!("the replica at {addr} reports SERVING"),
            Duration::from_secs(60),
            || health_status(addr),
            |status| *status == Ok(ServingStatus::Serving),
        )
        .await;
    }

    let db = Database::connect(&database_url).await.unwrap();
    let expected = orders::db::migration::Migrator::migrations().len();
    let applied = TestSystem::count(&db, "SELECT count(*) AS n FROM seaql_migrations").await;
    let distinct = TestSystem::count(
        &db,
        "SELECT count(DISTINCT version) AS n FROM seaql_migrations",
    )
    .await;
    assert_eq!(
        (applied, distinct),
        (expected as i64, expected as i64),
        "each migration recorded once"
    );
    let outboxes = TestSystem::count(
        &db,
        "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'outbox'",
    )
    .await;
    assert_eq!(outboxes, 1);

    shutdown.cancel();
    for task in running {
        task.await.unwrap().unwrap();
    }
}
