//! Deterministic crashes of the real binaries (`CRASH_POINTS=<point>:abort`,
//! in the test build only): the process dies on the spot at the point, as
//! `kill -9` would leave it, is started again without it, and the
//! redelivery that follows is absorbed: every order settles, paid once.

use std::{os::unix::process::ExitStatusExt, time::Duration};

use orderflow_system_tests::{Binary, ProcessSystem, Setup, eventually, records_in};

/// Starts the system with `point` armed to abort in `binary`, streams
/// orders until that process dies there, restarts it without the point
/// (and with `restart_env`), and checks every invariant.
async fn crash_at(binary: Binary, point: &str, restart_env: &[(&str, &str)]) -> ProcessSystem {
    let mut system = ProcessSystem::start(Setup {
        crash_points: vec![(binary, format!("{point}:abort"))],
        ..Setup::default()
    })
    .await;
    let mut users = system.open_accounts("payer", 3, 2_000).await;
    users.extend(system.open_accounts("broke", 1, 0).await);

    let stream = system.stream_grpc(&users, 10.0, Duration::from_secs(3));
    let service = match binary {
        Binary::Orders => &mut system.orders[0],
        Binary::Payments => &mut system.payments[0],
        Binary::Gateway => unreachable!("the gateway has no crash points"),
    };
    let status = service
        .wait_for_exit(Duration::from_secs(30))
        .await
        .unwrap_or_else(|| panic!("{point} was not hit within 30 s"));
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{status}");
    let log = service.log_text();
    assert!(
        log.contains("crash point: aborting the process") && log.contains(point),
        "{}",
        service.log_tail(20)
    );
    service.set_env("CRASH_POINTS", None);
    for (name, value) in restart_env {
        service.set_env(name, Some(value));
    }
    service.start().await;
    let outcome = system.finish(stream).await;

    assert!(!outcome.accepted.is_empty());
    let settled = system.assert_invariants(Duration::from_secs(60)).await;
    assert!(settled.finished + settled.cancelled >= outcome.accepted.len());
    assert!(settled.finished > 0, "{settled:?}");
    system
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_inbox_insert_before_its_commit_is_redone_once() {
    crash_at(Binary::Payments, "payments.after_inbox_insert", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_kafka_send_before_the_outbox_row_is_marked_publishes_again_harmlessly() {
    let system = crash_at(Binary::Orders, "relay.after_send", &[]).await;
    // The requests sent before the crash went out again after the restart:
    // the topic holds more records than there are orders, and payments'
    // inbox absorbed the repeats (one payment each, checked above).
    eventually(
        "the repeats are on the topic",
        Duration::from_secs(10),
        || async {
            let records = records_in(&system.brokers, &system.requested_topic).await?;
            let orders_in_db = orders_in(&system).await;
            match records > orders_in_db {
                true => Ok(()),
                false => Err(format!("{records} records for {orders_in_db} orders")),
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_database_commit_before_the_offset_commit_is_absorbed_by_the_inbox() {
    // The consumer says what it did with each record at debug level.
    let debug = [("RUST_LOG", "info,orderflow_messaging::consumer=debug")];
    let system = crash_at(Binary::Payments, "consumer.after_commit", &debug).await;
    // The record whose offset the crash left uncommitted came again after
    // the restart and was recognised as a duplicate.
    let log = system.payments[0].log_text();
    let after_restart = log
        .rsplit_once("crash point: aborting the process")
        .map_or("", |(_, after)| after);
    assert!(
        after_restart.contains("outcome=Duplicate"),
        "no duplicate after the restart:\n{}",
        system.payments[0].log_tail(30)
    );
}

async fn orders_in(system: &ProcessSystem) -> i64 {
    let db = sea_orm::Database::connect(&system.orders_url)
        .await
        .expect("the orders database");
    let count =
        orderflow_system_tests::TestSystem::count(&db, "SELECT count(*) AS n FROM orders").await;
    db.close().await.ok();
    count
}
