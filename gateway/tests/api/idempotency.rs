//! Safe retries: an `Idempotency-Key` makes a repeated POST return the first
//! answer and do nothing else.

use std::{collections::HashSet, time::Duration};

use orderflow_messaging::{
    MessagingConfig,
    retention::{self, Retained},
};
use orderflow_system_tests::TestSystem;
use serde_json::json;

use crate::helpers::{TestGateway, unique_user};

const REPLAYED: &str = "idempotent-replayed";

async fn orders_of(gateway: &TestGateway, user: &str) -> i64 {
    let sql = format!("SELECT count(*) AS n FROM orders WHERE user_id = '{user}'");
    TestSystem::count(&gateway.system().orders_db, &sql).await
}

async fn payments_of(gateway: &TestGateway, user: &str) -> i64 {
    let sql = format!("SELECT count(*) AS n FROM payments WHERE user_id = '{user}'");
    TestSystem::count(&gateway.system().payments_db, &sql).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_retries_with_one_key_create_one_order() {
    let gateway = TestGateway::start().await;
    let user = unique_user("eager");
    gateway.funded_account(&user, 10_000).await;
    let body = json!({ "user_id": user, "amount": 2_500, "description": "one coffee machine" });

    let answers = futures::future::join_all(
        (0..20).map(|_| gateway.post_with_key("/api/orders", "checkout-1", body.clone())),
    )
    .await;

    let ids: HashSet<String> = answers
        .iter()
        .map(|answer| {
            answer.expect(202)["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the same order: {ids:?}");
    let replayed = answers
        .iter()
        .filter(|answer| answer.header(REPLAYED) == "true")
        .count();
    assert_eq!(replayed, 19, "all but the first are replays");
    let bodies: HashSet<&str> = answers.iter().map(|answer| answer.text.as_str()).collect();
    assert_eq!(bodies.len(), 1, "the same body every time: {bodies:?}");
    assert_eq!(orders_of(&gateway, &user).await, 1);

    let id = ids.into_iter().next().unwrap_or_default();
    let settled = gateway.wait_until_settled(&id).await;
    assert_eq!(settled["status"], "FINISHED", "{settled}");
    assert_eq!(gateway.balance(&user).await.expect(200)["balance"], 7_500);
    assert_eq!(payments_of(&gateway, &user).await, 1, "one debit");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_top_up_replayed_five_times_credits_once() {
    let gateway = TestGateway::start().await;
    let user = unique_user("saver");
    let opened = gateway
        .post_with_key(
            "/api/payments/account",
            "open-1",
            json!({ "user_id": user }),
        )
        .await;
    assert_eq!(opened.expect(201)["balance"], 0);
    let reopened = gateway
        .post_with_key(
            "/api/payments/account",
            "open-1",
            json!({ "user_id": user }),
        )
        .await;
    assert_eq!(reopened.expect(201)["balance"], 0, "not ALREADY_EXISTS");
    assert_eq!(reopened.header(REPLAYED), "true");

    let body = json!({ "user_id": user, "amount": 1_000 });
    let first = gateway
        .post_with_key("/api/payments/topup", "topup-1", body.clone())
        .await;
    assert_eq!(first.expect(200)["balance"], 1_000);
    assert_eq!(
        first.header(REPLAYED),
        "",
        "the first answer is not a replay"
    );
    for _ in 0..5 {
        let again = gateway
            .post_with_key("/api/payments/topup", "topup-1", body.clone())
            .await;
        assert_eq!(again.expect(200), first.expect(200));
        assert_eq!(again.header(REPLAYED), "true");
    }
    assert_eq!(gateway.balance(&user).await.expect(200)["balance"], 1_000);

    // Keys are scoped per user: another user's "topup-1" is a new key.
    let other = unique_user("neighbour");
    gateway.create_account(&other).await.expect(201);
    let theirs = gateway
        .post_with_key(
            "/api/payments/topup",
            "topup-1",
            json!({ "user_id": other, "amount": 1_000 }),
        )
        .await;
    assert_eq!(theirs.expect(200)["balance"], 1_000);
    assert_eq!(theirs.header(REPLAYED), "");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_a_different_request_is_a_422_and_changes_nothing() {
    let gateway = TestGateway::start().await;
    let user = unique_user("fickle");
    gateway.funded_account(&user, 1_000).await;
    let top_up = |amount: i64| json!({ "user_id": user, "amount": amount });
    gateway
        .post_with_key("/api/payments/topup", "k-1", top_up(500))
        .await
        .expect(200);

    let reused = gateway
        .post_with_key("/api/payments/topup", "k-1", top_up(700))
        .await;
    let problem = reused.problem(422, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(problem["field"], "Idempotency-Key");
    // A key that opened an account cannot top it up either.
    gateway
        .post_with_key("/api/payments/account", "k-1", json!({ "user_id": user }))
        .await
        .problem(422, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(gateway.balance(&user).await.expect(200)["balance"], 1_500);

    let order =
        |description: &str| json!({ "user_id": user, "amount": 100, "description": description });
    gateway
        .post_with_key("/api/orders", "k-2", order("tea"))
        .await
        .expect(202);
    gateway
        .post_with_key("/api/orders", "k-2", order("coffee"))
        .await
        .problem(422, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(orders_of(&gateway, &user).await, 1);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_past_its_retention_acts_as_a_new_key() {
    let gateway = TestGateway::start().await;
    let user = unique_user("patient");
    gateway.create_account(&user).await.expect(201);
    let body = json!({ "user_id": user, "amount": 300 });
    gateway
        .post_with_key("/api/payments/topup", "monthly", body.clone())
        .await
        .expect(200);

    // The service's retention sweep, with a retention of zero for keys.
    let mut config = MessagingConfig::new(gateway.system().brokers.clone());
    config.retained = vec![Retained {
        table: orderflow_idempotency::TABLE,
        column: orderflow_idempotency::CREATED_AT,
        period: Duration::ZERO,
    }];
    let swept = retention::sweep(&gateway.system().payments_db, &config)
        .await
        .expect("a sweep");
    assert_eq!(swept.retained, 1, "{swept:?}");

    let again = gateway
        .post_with_key("/api/payments/topup", "monthly", body)
        .await;
    assert_eq!(again.expect(200)["balance"], 600, "credited again");
    assert_eq!(again.header(REPLAYED), "");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_idempotency_keys_are_400s_naming_the_header() {
    let gateway = TestGateway::without_services().await;
    let body = json!({ "user_id": "alice", "amount": 5 });
    for key in [String::new(), "k".repeat(256), "has space".to_owned()] {
        for path in [
            "/api/orders",
            "/api/payments/topup",
            "/api/payments/account",
        ] {
            let answer = gateway.post_with_key(path, &key, body.clone()).await;
            let problem = answer.problem(400, "INVALID_ARGUMENT");
            assert_eq!(problem["field"], "Idempotency-Key", "{path} {key:?}");
        }
    }
    gateway.stop().await;
}
