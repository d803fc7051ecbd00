//! The consumers apply the records that have arrived together, one
//! transaction per batch, and nothing about an order's outcome changes for
//! it: each is paid at most once, a redelivery is ignored, and a record
//! that always fails is dead-lettered without the rest of its batch.

use std::time::Duration;

use futures::future::join_all;
use orderflow_messaging::headers;
use orderflow_proto::{
    events::v1 as events,
    orders::v1::{Order, OrderStatus},
};
use orderflow_system_tests::{TestSystem, TopicReader, eventually, until, until_in_inbox};
use prost::Message;

/// The amount of the payments the second test makes fail on every try.
const CURSED_AMOUNT: i64 = 666;

#[tokio::test]
async fn a_backlog_is_applied_in_batches_each_order_paid_once_and_a_redelivered_request_ignored() {
    // The global meter provider, so that /metrics shows the consumers' histograms.
    let _telemetry =
        orderflow_runtime::telemetry::init("consumer-batches", "test").expect("telemetry starts");
    let mut system = TestSystem::start().await;
    system.open_account("ann", 10_000).await;
    system.open_account("ben", 100).await;

    // A backlog builds up in Kafka while payments is away: 20 orders ann
    // can pay, 3 of 100 that ben can pay only once, and a copy of one
    // request sent again.
    system.pause_payments().await;
    let anns = place(&system, "ann", 20, 250).await;
    let bens = place(&system, "ben", 3, 100).await;
    let request = system.published_request(&anns[0].id).await;
    system.redeliver(&request).await;
    system.resume_payments().await;

    for order in &anns {
        let settled = system.wait_until_settled(&order.id).await;
        assert_eq!(settled.status(), OrderStatus::Finished, "{settled:?}");
    }
    let mut statuses = Vec::new();
    for order in &bens {
        statuses.push(system.wait_until_settled(&order.id).await.status());
    }
    statuses.sort_by_key(|status| *status as i32);
    assert_eq!(
        statuses,
        [
            OrderStatus::Finished,
            OrderStatus::Cancelled,
            OrderStatus::Cancelled
        ],
        "ben's 100 pays for one order of 100"
    );
    until_in_inbox(&system.payments_db, &request.event_id).await;
    assert_eq!(system.balance("ann").await, 10_000 - 20 * 250);
    assert_eq!(system.balance("ben").await, 0);
    let count = |sql: &'static str| TestSystem::count(&system.payments_db, sql);
    assert_eq!(
        count("SELECT count(*) AS n FROM payments").await,
        23,
        "one payment row per order, none for the copy"
    );
    assert_eq!(
        count("SELECT count(*) AS n FROM outbox").await,
        23,
        "one result per order"
    );

    let topic = system.requested_topic.clone();
    eventually(
        "payments' metrics show a transaction that applied several records",
        Duration::from_secs(10),
        || async {
            let scrape = system.payments_metrics().await?;
            let labels = [("topic", topic.as_str())];
            let records = scrape.sum("messaging_batch_size_sum", &labels);
            let transactions = scrape.sum("messaging_batch_size_count", &labels);
            let duplicates = scrape.sum("messaging_duplicates_total", &labels);
            // 23 requests and the copy, which the inbox finds a duplicate.
            if records == 24.0 && transactions < records && duplicates == 1.0 {
                Ok(())
            } else {
                Err(format!(
                    "{records} records handled in {transactions} transactions, \
                     {duplicates} duplicates"
                ))
            }
        },
    )
    .await;
    system.stop().await;
}

#[tokio::test]
async fn a_request_that_always_fails_is_dead_lettered_and_the_rest_of_its_batch_is_applied() {
    let mut system = TestSystem::start().await;
    system.open_account("cat", 10_000).await;
    system.open_account("mallory", 1_000).await;
    system.refuse_payments_of(CURSED_AMOUNT).await;

    system.pause_payments().await;
    let before = place(&system, "cat", 5, 100).await;
    let refused = system.place_order("mallory", CURSED_AMOUNT).await;
    let mallorys = place(&system, "mallory", 2, 100).await;
    let after = place(&system, "cat", 5, 100).await;
    system.resume_payments().await;

    let dead = TopicReader::new(&system.brokers, &format!("{}.dlq", system.requested_topic))
        .read(1, Duration::from_secs(60))
        .await;
    let request =
        events::PaymentRequested::decode(dead[0].payload.as_slice()).expect("the original record");
    assert_eq!(request.order_id, refused.id);
    let reason = dead[0].header(headers::DLQ_ERROR).expect("the reason");
    assert!(reason.contains("payments of 666 are refused"), "{reason}");
    for order in before.iter().chain(&mallorys).chain(&after) {
        let settled = system.wait_until_settled(&order.id).await;
        assert_eq!(settled.status(), OrderStatus::Finished, "{settled:?}");
    }
    assert_eq!(system.balance("cat").await, 10_000 - 10 * 100);
    assert_eq!(system.balance("mallory").await, 1_000 - 2 * 100);
    assert_eq!(
        system.order(&refused.id).await.status(),
        OrderStatus::New,
        "a dead-lettered request has no result"
    );
    assert_eq!(
        TestSystem::count(&system.payments_db, "SELECT count(*) AS n FROM payments").await,
        12,
        "every other request paid once"
    );
    system.stop().await;
}

#[tokio::test]
async fn when_a_batch_falls_back_each_handled_record_is_committed_before_the_next_is_tried() {
    let mut system = TestSystem::start().await;
    system.open_account("dora", 10_000).await;
    system.refuse_payments_of(CURSED_AMOUNT).await;

    // One user, so one partition, in this order: offsets 0, 1 and 2 of a
    // new topic, fetched together once payments is back.
    system.pause_payments().await;
    let first = system.place_order("dora", 100).await;
    let cursed = system.place_order("dora", CURSED_AMOUNT).await;
    let last = system.place_order("dora", 100).await;
    until(
        "the three requests are in Kafka",
        Duration::from_secs(30),
        || {
            TestSystem::count(
                &system.orders_db,
                "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL",
            )
        },
        |unpublished| *unpublished == 0,
    )
    .await;
    system.resume_payments().await;

    // The batch fails on the cursed record, and the records are tried one
    // by one: while the cursed one is retried (seconds of backoff), the
    // first one's offset is already committed.
    let mut seen = Vec::new();
    let settled = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let committed = system.payments_committed().await;
            if seen.last() != Some(&committed) {
                seen.push(committed);
            }
            if committed == Some(3) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(settled.is_ok(), "all three committed in time: {seen:?}");
    assert!(
        seen.contains(&Some(1)),
        "the first record was committed on its own while the cursed one was retried: {seen:?}"
    );

    assert_eq!(
        system.wait_until_settled(&first.id).await.status(),
        OrderStatus::Finished
    );
    assert_eq!(
        system.wait_until_settled(&last.id).await.status(),
        OrderStatus::Finished
    );
    assert_eq!(system.order(&cursed.id).await.status(), OrderStatus::New);
    assert_eq!(system.balance("dora").await, 10_000 - 200);
    system.stop().await;
}

/// Places `count` orders of `amount` for `user`, all at once.
async fn place(system: &TestSystem, user: &str, count: usize, amount: i64) -> Vec<Order> {
    join_all((0..count).map(|_| system.place_order(user, amount))).await
}
