//! A service says NOT_SERVING until the broker answers, then SERVING.

use std::time::Duration;

use orderflow_devstack::{Broker, Controlled, TestEnv, free_port};
use orderflow_system_tests::{fresh_config, health_status, until, until_serving};
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_check_response::ServingStatus;

#[tokio::test]
async fn a_service_is_not_serving_until_the_broker_answers() {
    let env = TestEnv::from_env();
    let port = free_port().unwrap();
    let config = fresh_config(&env, "orders", &format!("127.0.0.1:{port}")).await;
    let app = orders::App::build(config).await.unwrap();
    let addr = app.grpc_addr();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let answered = |status: &Result<ServingStatus, String>| status.is_ok();
    let status = until(
        "the server answers",
        Duration::from_secs(30),
        || health_status(addr),
        answered,
    )
    .await;
    assert_eq!(status, Ok(ServingStatus::NotServing), "no broker yet");

    let folder = tempfile::tempdir().unwrap();
    let controller_port = free_port().unwrap();
    // Not in spawn_blocking: a server started there gets its parent-death
    // signal when tokio retires that thread.
    let data = folder.path().to_owned();
    let _broker = Controlled::start("Kafka", move || {
        Broker::start_persistent(&data, port, controller_port)
    })
    .await
    .unwrap();
    until_serving(addr).await;

    shutdown.cancel();
    running.await.unwrap().unwrap();
}
