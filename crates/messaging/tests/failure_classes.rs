//! The failure table applied to the errors a real PostgreSQL gives, in the
//! shape the handlers propagate them (a sea-orm error under context).

use std::time::Duration;

use anyhow::Context;
use orderflow_devstack::{TestEnv, free_port};
use orderflow_messaging::failure::{Class, classify};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, TransactionTrait};

async fn fresh_database() -> DatabaseConnection {
    let env = TestEnv::from_env();
    let url = env.fresh_database("failures").await.expect("a database");
    Database::connect(&url).await.expect("connected")
}

/// The error `sql` fails with inside a transaction, as a handler returns it.
async fn failure_of(db: &DatabaseConnection, sql: &str) -> anyhow::Error {
    let txn = db.begin().await.expect("a transaction");
    let error = txn
        .execute_unprepared(sql)
        .await
        .context("applying the event")
        .expect_err("the statement fails");
    txn.rollback().await.expect("rolled back");
    error
}

#[tokio::test]
async fn errors_the_server_raises_are_classified_by_their_sqlstate() {
    let db = fresh_database().await;
    let cases = [
        ("serialization_failure", Class::Unavailable),
        ("deadlock_detected", Class::Unavailable),
        ("admin_shutdown", Class::Unavailable),
        ("cannot_connect_now", Class::Unavailable),
        ("too_many_connections", Class::Unavailable),
        ("lock_not_available", Class::Unavailable),
        ("check_violation", Class::Deterministic),
        ("unique_violation", Class::Deterministic),
        ("numeric_value_out_of_range", Class::Deterministic),
        ("raise_exception", Class::Deterministic),
    ];
    for (condition, class) in cases {
        let sql = format!(
            "DO $$ BEGIN RAISE EXCEPTION 'raised {condition}' USING ERRCODE = '{condition}'; END $$"
        );
        let error = failure_of(&db, &sql).await;
        assert!(format!("{error:#}").contains(condition), "{error:#}");
        assert_eq!(classify(&error), class, "{condition}: {error:#}");
    }
}

#[tokio::test]
async fn what_the_database_rejects_on_its_own_is_deterministic() {
    let db = fresh_database().await;
    db.execute_unprepared(
        "CREATE TABLE amounts (id int PRIMARY KEY, n int NOT NULL CHECK (n > 0))",
    )
    .await
    .expect("a table");
    db.execute_unprepared("INSERT INTO amounts VALUES (1, 1)")
        .await
        .expect("a row");
    for sql in [
        "INSERT INTO amounts VALUES (2, -1)",   // check_violation
        "INSERT INTO amounts VALUES (1, 5)",    // unique_violation
        "INSERT INTO amounts VALUES (3, NULL)", // not_null_violation
        "SELECT 1 / 0",                         // division_by_zero
        "SELECT 'x'::int",                      // invalid_text_representation
        "SELECT no_such_column FROM amounts",   // undefined_column
    ] {
        let error = failure_of(&db, sql).await;
        assert_eq!(classify(&error), Class::Deterministic, "{sql}: {error:#}");
    }
}

#[tokio::test]
async fn a_server_that_does_not_answer_is_unavailable() {
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres",
        free_port().expect("a free port")
    );
    let options = |lazy: bool| {
        let mut options = ConnectOptions::new(&url);
        options
            .connect_lazy(lazy)
            .connect_timeout(Duration::from_millis(500))
            .acquire_timeout(Duration::from_millis(500));
        options
    };
    let refused = Database::connect(options(false))
        .await
        .context("connecting")
        .expect_err("nobody listens");
    assert_eq!(classify(&refused), Class::Unavailable, "{refused:#}");

    // A lazy pool: the failure comes when a transaction begins.
    let pool = Database::connect(options(true)).await.expect("a lazy pool");
    let error = pool
        .begin()
        .await
        .context("beginning the inbox transaction")
        .expect_err("no connection");
    assert_eq!(classify(&error), Class::Unavailable, "{error:#}");
}
