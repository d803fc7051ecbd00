//! Orders: created as NEW, paid asynchronously, read and listed.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{TestGateway, unique_user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_reaches_finished_and_debits_the_balance() {
    let gateway = TestGateway::start().await;
    let user = unique_user("payer");
    gateway.funded_account(&user, 10_000).await;

    let created = gateway.create_order(&user, 2_500, "two coffees").await;
    let order = created.expect(202).clone();
    assert_eq!(order["status"], "NEW");
    assert_eq!(order["user_id"], user.as_str());
    assert_eq!(order["amount"], 2_500);
    assert_eq!(order["description"], "two coffees");
    assert_eq!(order["failure_reason"], serde_json::Value::Null);
    let id = order["id"].as_str().expect("an id");
    assert_eq!(created.header("location"), format!("/api/orders/{id}"));

    let settled = gateway.wait_until_settled(id).await;
    assert_eq!(settled["status"], "FINISHED", "{settled}");
    assert_eq!(settled["failure_reason"], serde_json::Value::Null);
    assert_eq!(gateway.balance(&user).await.expect(200)["balance"], 7_500);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_above_the_balance_ends_cancelled() {
    let gateway = TestGateway::start().await;
    let user = unique_user("short");
    gateway.funded_account(&user, 100).await;

    let order = gateway.create_order(&user, 500, "too dear").await;
    let id = order.expect(202)["id"].as_str().expect("an id").to_owned();

    let settled = gateway.wait_until_settled(&id).await;
    assert_eq!(settled["status"], "CANCELLED", "{settled}");
    assert!(settled["failure_reason"].is_string(), "{settled}");
    assert_eq!(gateway.balance(&user).await.expect(200)["balance"], 100);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_listed_newest_first_in_pages_with_the_total() {
    let gateway = TestGateway::start().await;
    let user = unique_user("lister");
    let mut created = Vec::new();
    for amount in 1..=5 {
        let order = gateway.create_order(&user, amount, "").await;
        created.push(order.expect(202)["id"].as_str().expect("an id").to_owned());
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let mut seen = Vec::new();
    for (offset, expected_len) in [(0, 2), (2, 2), (4, 1), (6, 0)] {
        let page = gateway.list_orders(&user, 2, offset).await;
        let page = page.expect(200);
        assert_eq!(page["total"], 5);
        assert_eq!(
            (page["limit"].clone(), page["offset"].clone()),
            (json!(2), json!(offset))
        );
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), expected_len, "offset {offset}: {page}");
        seen.extend(
            items
                .iter()
                .map(|order| order["id"].as_str().unwrap_or_default().to_owned()),
        );
    }
    assert_eq!(seen, newest_first);

    let other = gateway.list_orders(&unique_user("nobody"), 10, 0).await;
    assert_eq!(other.expect(200)["total"], 0);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_may_be_given_as_x_user_id_instead() {
    let gateway = TestGateway::start().await;
    let user = unique_user("header");
    let with_user = |method, path: &str| gateway.request(method, path).header("x-user-id", &user);

    let account = gateway
        .send(with_user(reqwest::Method::POST, "/api/payments/account").json(&json!({})))
        .await;
    assert_eq!(account.expect(201)["user_id"], user.as_str());
    let body = json!({ "user_id": user, "amount": 300 });
    let topped = gateway
        .send(with_user(reqwest::Method::POST, "/api/payments/topup").json(&body))
        .await;
    assert_eq!(topped.expect(200)["balance"], 300);
    let order = gateway
        .send(with_user(reqwest::Method::POST, "/api/orders").json(&json!({ "amount": 100 })))
        .await;
    assert_eq!(order.expect(202)["user_id"], user.as_str());
    let page = gateway
        .send(with_user(reqwest::Method::GET, "/api/orders?limit=10"))
        .await;
    let ids: HashSet<_> = page.expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|order| order["id"].clone())
        .collect();
    assert_eq!(ids, HashSet::from([order.body["id"].clone()]));
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_order_id_is_a_404_problem() {
    let gateway = TestGateway::start().await;
    let answer = gateway.get_order(&uuid::Uuid::new_v4().to_string()).await;
    answer.problem(404, "NOT_FOUND");
    gateway.stop().await;
}
