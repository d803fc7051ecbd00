//! Accounts: opened once, topped up, read.

use crate::helpers::{TestGateway, unique_user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_opened_empty_topped_up_and_read() {
    let gateway = TestGateway::start().await;
    let user = unique_user("saver");

    let opened = gateway.create_account(&user).await;
    assert_eq!(
        opened.expect(201),
        &serde_json::json!({ "user_id": user, "balance": 0 })
    );
    assert_eq!(
        gateway.top_up(&user, 1_000).await.expect(200)["balance"],
        1_000
    );
    assert_eq!(
        gateway.top_up(&user, 234).await.expect(200)["balance"],
        1_234
    );
    let read = gateway.balance(&user).await;
    assert_eq!(
        read.expect(200),
        &serde_json::json!({ "user_id": user, "balance": 1_234 })
    );
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_an_account_twice_is_a_409_problem() {
    let gateway = TestGateway::start().await;
    let user = unique_user("twice");
    gateway.create_account(&user).await.expect(201);
    gateway
        .create_account(&user)
        .await
        .problem(409, "ALREADY_EXISTS");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_an_account_has_no_balance_to_read_or_top_up() {
    let gateway = TestGateway::start().await;
    let user = unique_user("ghost");
    gateway.balance(&user).await.problem(404, "NOT_FOUND");
    gateway.top_up(&user, 10).await.problem(404, "NOT_FOUND");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_top_up_past_the_largest_balance_is_a_400_problem() {
    let gateway = TestGateway::start().await;
    let user = unique_user("rich");
    gateway.funded_account(&user, i64::MAX).await;
    gateway
        .top_up(&user, 1)
        .await
        .problem(400, "INVALID_ARGUMENT");
    assert_eq!(
        gateway.balance(&user).await.expect(200)["balance"],
        i64::MAX
    );
    gateway.stop().await;
}
