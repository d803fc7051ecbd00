//! Two payments replicas in one consumer group on one database, each owning
//! a partition of the request topic, debit the same account at the same
//! time: the balance never goes below zero, exactly the requests it covers
//! succeed, and each order is paid (or refused) once.

use std::time::Duration;

use futures::future::join_all;
use orderflow_devstack::TestEnv;
use orderflow_proto::events::v1 as events;
use orderflow_system_tests::{
    TestSystem, close_producer, contract_headers, fresh_orders_config, fresh_payments_config,
    group_assignment, producer, send, until, until_serving,
};
use prost::Message;
use sea_orm::Database;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const USER: &str = "race-lea";
const PRICE: i64 = 100;
const REQUESTS: usize = 24;
const COVERED: i64 = 9;

/// A `PaymentRequested` for a new order of `USER`, and its event id.
fn payment_request() -> (String, Vec<u8>) {
    let event_id = Uuid::new_v4().to_string();
    let payload = events::PaymentRequested {
        event_id: event_id.clone(),
        order_id: Uuid::new_v4().to_string(),
        user_id: USER.into(),
        amount: PRICE,
        occurred_at: None,
    }
    .encode_to_vec();
    (event_id, payload)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_debiting_one_account_at_once_never_overdraw_it() {
    let env = TestEnv::from_env();
    let orders = fresh_orders_config(&env, env.kafka_brokers()).await;
    let mut config = fresh_payments_config(&env, &orders).await;
    // One record per transaction, so each replica runs a dozen debits and
    // the two replicas' transactions take turns on the account's row, which
    // shows in the payments' times (with batches of 3 one replica could be
    // done before the other began). Batches under replicas: process_replicas.
    config.messaging.consumer_batch_size = 1;
    // One after the other: the second finds the schema migrated.
    let first = payments::App::build(config.clone())
        .await
        .expect("replica 1 builds");
    let second = payments::App::build(config.clone())
        .await
        .expect("replica 2 builds");
    let addrs = [first.grpc_addr(), second.grpc_addr()];
    let shutdown = CancellationToken::new();
    let replicas = [
        tokio::spawn(first.run_until_stopped(shutdown.clone())),
        tokio::spawn(second.run_until_stopped(shutdown.clone())),
    ];
    for addr in addrs {
        until_serving(addr).await;
    }
    let db = Database::connect(config.host.database_url.expose())
        .await
        .expect("the payments database");
    let mut payments =
        orderflow_proto::payments::v1::payments_service_client::PaymentsServiceClient::connect(
            format!("http://{}", addrs[0]),
        )
        .await
        .expect("a client");
    payments
        .create_account(orderflow_proto::payments::v1::CreateAccountRequest {
            user_id: USER.into(),
            idempotency_key: String::new(),
        })
        .await
        .expect("the account opens");
    payments
        .top_up(orderflow_proto::payments::v1::TopUpRequest {
            user_id: USER.into(),
            amount: COVERED * PRICE,
            idempotency_key: String::new(),
        })
        .await
        .expect("the account is topped up");

    let topic = &config.topics.payment_requested;
    let owned = until(
        "each replica owns one partition of the request topic",
        Duration::from_secs(60),
        || group_assignment(env.kafka_brokers(), &config.consumer_group, topic),
        |owned| *owned == vec![vec![0], vec![1]],
    )
    .await;
    assert_eq!(owned.len(), 2, "two members: {owned:?}");

    // All at once, alternating partitions: both replicas debit the same
    // account at the same moment.
    let producer = producer(env.kafka_brokers());
    let requests: Vec<_> = (0..REQUESTS).map(|_| payment_request()).collect();
    join_all(
        requests
            .iter()
            .enumerate()
            .map(|(index, (event_id, payload))| {
                let headers = contract_headers(event_id, events::PAYMENT_REQUESTED);
                let partition = i32::try_from(index % 2).expect("0 or 1");
                let producer = &producer;
                async move { send(producer, topic, Some(partition), USER, payload, &headers).await }
            }),
    )
    .await;
    close_producer(producer).await;

    let payments_made = until(
        "every request is settled",
        Duration::from_secs(60),
        || TestSystem::count(&db, "SELECT count(*) AS n FROM payments"),
        |n| *n >= i64::try_from(REQUESTS).expect("small"),
    )
    .await;
    assert_eq!(
        payments_made,
        i64::try_from(REQUESTS).expect("small"),
        "one payment per order"
    );
    let succeeded = TestSystem::count(
        &db,
        "SELECT count(*) AS n FROM payments WHERE status = 'SUCCEEDED'",
    )
    .await;
    let refused = TestSystem::count(
        &db,
        "SELECT count(*) AS n FROM payments \
         WHERE status = 'FAILED' AND failure_reason = 'INSUFFICIENT_FUNDS'",
    )
    .await;
    let orders_paid_twice = TestSystem::count(
        &db,
        "SELECT count(*) AS n FROM (SELECT order_id FROM payments GROUP BY order_id HAVING count(*) > 1) t",
    )
    .await;
    let balance = TestSystem::count(
        &db,
        &format!("SELECT balance AS n FROM accounts WHERE user_id = '{USER}'"),
    )
    .await;
    assert_eq!(succeeded, COVERED, "exactly the covered requests succeed");
    assert_eq!(refused, i64::try_from(REQUESTS).expect("small") - COVERED);
    assert_eq!(orders_paid_twice, 0);
    assert_eq!(balance, 0, "all of it spent, nothing below zero");
    let handled_on =
        TestSystem::count(&db, "SELECT count(DISTINCT event_id) AS n FROM payments").await;
    assert_eq!(handled_on, i64::try_from(REQUESTS).expect("small"));

    // The two replicas' transactions interleaved: payments for partition 0
    // were made while partition 1's were being made (a payment's time is its
    // transaction's start, one per batch).
    let ids = |partition: usize| {
        requests
            .iter()
            .skip(partition)
            .step_by(2)
            .map(|(event_id, _)| format!("'{event_id}'"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let interleaved = TestSystem::count(
        &db,
        &format!(
            "SELECT count(*) AS n FROM payments WHERE event_id IN ({first}) AND created_at \
             BETWEEN (SELECT min(created_at) FROM payments WHERE event_id IN ({second})) \
                 AND (SELECT max(created_at) FROM payments WHERE event_id IN ({second}))",
            first = ids(0),
            second = ids(1),
        ),
    )
    .await;
    assert!(
        interleaved > 0,
        "the replicas debited one after the other, not at the same time"
    );
    println!("{interleaved} of partition 0's payments fell within partition 1's");

    shutdown.cancel();
    for replica in replicas {
        tokio::time::timeout(Duration::from_secs(30), replica)
            .await
            .expect("the replica stops")
            .expect("no panic")
            .expect("no error");
    }
}
