//! What the consumers do when applying a record fails: a deterministic
//! failure is tried a few times and dead-lettered, and the partition moves
//! on; an unavailable database is waited for, and nothing is skipped.

use std::time::Duration;

use futures::future::join_all;
use orderflow_devstack::{Controlled, Postgres, Shutdown};
use orderflow_messaging::headers;
use orderflow_proto::{events::v1 as events, orders::v1::OrderStatus};
use orderflow_system_tests::{Options, TestSystem, TopicReader, eventually, until};
use prost::Message;
use sea_orm::{ConnectionTrait, TransactionTrait};

/// Payments of exactly this amount fail on every try (see
/// [`TestSystem::refuse_payments_of`]).
const CURSED_AMOUNT: i64 = 666;

/// The default of `CONSUMER_MAX_ATTEMPTS`.
const MAX_ATTEMPTS: u32 = 5;

#[tokio::test]
async fn a_record_whose_sql_always_fails_is_dead_lettered_after_its_tries_and_later_orders_still_settle()
 {
    // The global meter provider, so that /metrics shows the consumers' counters.
    let _telemetry =
        orderflow_runtime::telemetry::init("consumer-failures", "test").expect("telemetry starts");
    let system = TestSystem::start().await;
    system.open_account("mallory", 1_000).await;
    system.open_account("trent", 1_000).await;
    system.refuse_payments_of(CURSED_AMOUNT).await;

    let refused = system.place_order("mallory", CURSED_AMOUNT).await;
    let dead = TopicReader::new(&system.brokers, &format!("{}.dlq", system.requested_topic))
        .read(1, Duration::from_secs(60))
        .await;
    let request =
        events::PaymentRequested::decode(dead[0].payload.as_slice()).expect("the original record");
    assert_eq!(request.order_id, refused.id);
    let reason = dead[0].header(headers::DLQ_ERROR).expect("the reason");
    assert!(reason.contains("payments of 666 are refused"), "{reason}");
    assert_eq!(
        dead[0].header(headers::DLQ_ATTEMPTS),
        Some(MAX_ATTEMPTS.to_string().as_str())
    );
    assert!(dead[0].header(headers::DLQ_SOURCE).is_some());
    assert_eq!(dead[0].key.as_deref(), Some("mallory"));

    // The same user's next order is on the same partition, behind the
    // refused one: it settles only if the consumer moved on.
    let next = system.place_order("mallory", 250).await;
    let other = system.place_order("trent", 400).await;
    assert_eq!(
        system.wait_until_settled(&next.id).await.status(),
        OrderStatus::Finished
    );
    assert_eq!(
        system.wait_until_settled(&other.id).await.status(),
        OrderStatus::Finished
    );
    assert_eq!(
        system.balance("mallory").await,
        750,
        "one debit, rolled back once per try"
    );
    assert_eq!(system.balance("trent").await, 600);
    assert_eq!(
        system.order(&refused.id).await.status(),
        OrderStatus::New,
        "a dead-lettered request has no result"
    );
    let cursed = TestSystem::count(
        &system.payments_db,
        "SELECT count(*) AS n FROM payments WHERE amount = 666",
    )
    .await;
    assert_eq!(cursed, 0);

    let topic = system.requested_topic.as_str();
    eventually(
        "payments' metrics count the dead letter",
        Duration::from_secs(10),
        || async {
            let scrape = system.payments_metrics().await?;
            let dead_lettered = scrape.sum("messaging_dead_lettered_total", &[("topic", topic)]);
            let failed = scrape.sum(
                "messaging_failed_attempts_total",
                &[("topic", topic), ("class", "deterministic")],
            );
            if dead_lettered == 1.0 && failed == f64::from(MAX_ATTEMPTS) {
                Ok(())
            } else {
                Err(format!(
                    "dead-lettered {dead_lettered}, failed attempts {failed}"
                ))
            }
        },
    )
    .await;
    system.stop().await;
}

/// Users of the outage test, each with enough money for all their orders.
const USERS: [&str; 4] = ["olga", "oscar", "otto", "orla"];
const ORDERS_PER_USER: usize = 10;
const AMOUNT: i64 = 100;
const STARTING_BALANCE: i64 = 10_000;
/// How long the database stays down.
const OUTAGE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn orders_in_flight_while_the_database_is_down_all_settle_once_it_is_back_each_paid_once() {
    let _telemetry =
        orderflow_runtime::telemetry::init("consumer-failures", "test").expect("telemetry starts");
    // Controlled from a thread of its own: a server started on one of
    // tokio's blocking threads would die when tokio retires that thread.
    let cluster = Controlled::start("PostgreSQL", Postgres::start_temporary)
        .await
        .expect("a private PostgreSQL");
    let mut system = TestSystem::start_with(Options {
        database_cluster: Some(cluster.run(|cluster| cluster.url()).await),
        ..Default::default()
    })
    .await;
    for user in USERS {
        system.open_account(user, STARTING_BALANCE).await;
    }
    // Requests pile up in Kafka while payments is away. A lock the test
    // holds on the accounts stops payments' first debit mid-transaction, so
    // that the database surely goes down under a transaction in flight.
    system.pause_payments().await;
    let placed = join_all(USERS.iter().flat_map(|user| {
        let system = &system;
        (0..ORDERS_PER_USER).map(move |_| system.place_order(user, AMOUNT))
    }))
    .await;
    let lock = system.payments_db.begin().await.expect("a transaction");
    lock.execute_unprepared("LOCK TABLE accounts IN EXCLUSIVE MODE")
        .await
        .expect("the accounts locked");
    system.resume_payments().await;
    until(
        "payments' consumer waits for the lock inside its transaction",
        Duration::from_secs(60),
        || {
            TestSystem::count(
                &system.orders_db,
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE wait_event_type = 'Lock' AND datname LIKE 'payments%'",
            )
        },
        |waiting| *waiting >= 1,
    )
    .await;
    cluster
        .run(|cluster| cluster.shut_down(Shutdown::Immediate))
        .await;
    drop(lock);
    tokio::time::sleep(OUTAGE).await;
    cluster
        .run(Postgres::restart)
        .await
        .expect("PostgreSQL starts again on its data");

    for order in &placed {
        let settled = system.wait_until_settled(&order.id).await;
        assert_eq!(settled.status(), OrderStatus::Finished, "{settled:?}");
    }
    let spent = AMOUNT * ORDERS_PER_USER as i64;
    for user in USERS {
        assert_eq!(
            system.balance(user).await,
            STARTING_BALANCE - spent,
            "{user}"
        );
    }
    let payments = TestSystem::count(
        &system.payments_db,
        "SELECT count(DISTINCT order_id) AS n FROM payments",
    )
    .await;
    assert_eq!(payments, placed.len() as i64, "one payment per order");

    // The consumers met the outage, waited for the database, and gave up on
    // nothing.
    let scrape = system.payments_metrics().await.expect("payments' metrics");
    let unavailable = scrape.sum(
        "messaging_failed_attempts_total",
        &[
            ("topic", system.requested_topic.as_str()),
            ("class", "unavailable"),
        ],
    );
    assert!(unavailable > 0.0, "payments' consumer met the outage");
    assert_eq!(
        scrape.sum(
            "messaging_failed_attempts_total",
            &[("class", "deterministic")]
        ),
        0.0,
        "an outage is no deterministic failure"
    );
    assert_eq!(scrape.sum("messaging_dead_lettered_total", &[]), 0.0);
    system.stop().await;
    drop(cluster);
}
