//! Health follows the dependencies: a service says NOT_SERVING while its
//! broker or its database does not answer, and SERVING once both do.

use std::time::Duration;

use orderflow_devstack::{Broker, Controlled, Postgres, Shutdown, TestEnv, free_port};
use orderflow_proto::orders::v1::{
    GetOrderRequest, OrderStatus, orders_service_client::OrdersServiceClient,
};
use orderflow_system_tests::{
    Options, TestSystem, fresh_orders_config, health_status, until, until_serving,
};
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_check_response::ServingStatus;

#[tokio::test]
async fn a_service_is_not_serving_until_the_broker_answers() {
    let env = TestEnv::from_env();
    let port = free_port().unwrap();
    let config = fresh_orders_config(&env, &format!("127.0.0.1:{port}")).await;
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
    // Not in spawn_blocking: a server started there gets its parent-death
    // signal when tokio retires that thread.
    let data = folder.path().to_owned();
    let _broker = Controlled::start("Kafka", move || {
        // The controller may listen anywhere, but a test running alongside
        // can take the free port picked for it before Kafka binds it: then
        // another port, on fresh data (the quorum records the port).
        let mut failed = None;
        for attempt in 0..3 {
            let controller_port = free_port()?;
            match Broker::start_persistent(&data.join(attempt.to_string()), port, controller_port) {
                Ok(broker) => return Ok(broker),
                Err(error) => failed = Some(error),
            }
        }
        Err(failed.expect("three attempts failed"))
    })
    .await
    .unwrap();
    until_serving(addr).await;

    shutdown.cancel();
    running.await.unwrap().unwrap();
}

/// Both services on a private PostgreSQL cluster, which the test stops and
/// starts again under them: health follows it, no service restarts, and
/// the flow works again afterwards.
#[tokio::test]
async fn services_are_not_serving_while_their_database_is_down_and_serving_again_when_it_returns() {
    let postgres = private_postgres().await;
    let system = TestSystem::start_with(Options {
        database_cluster: Some(postgres.run(|cluster| cluster.url()).await),
        ..Options::default()
    })
    .await;
    system.open_account("alice", 1_000).await;

    postgres
        .run(|cluster| cluster.shut_down(Shutdown::Fast))
        .await;
    let not_serving = Ok(ServingStatus::NotServing);
    let _down = until(
        "both services report NOT_SERVING while the database is down",
        Duration::from_secs(30),
        || system.health(),
        |seen| seen.iter().all(|status| *status == not_serving),
    )
    .await;

    postgres
        .run(Postgres::restart)
        .await
        .expect("PostgreSQL starts again");
    let serving = Ok(ServingStatus::Serving);
    let _up = until(
        "both services report SERVING once the database is back",
        Duration::from_secs(60),
        || system.health(),
        |seen| seen.iter().all(|status| *status == serving),
    )
    .await;

    let order = system.place_order("alice", 250).await;
    let settled = system.wait_until_settled(&order.id).await;
    assert_eq!(settled.status(), OrderStatus::Finished);
    assert_eq!(system.balance("alice").await, 750);

    system.stop().await;
    drop(postgres);
}

/// A service started while its database is down still binds and answers
/// (NOT_SERVING, its API UNAVAILABLE), migrates once the database is up,
/// and then serves.
#[tokio::test]
async fn a_service_started_while_its_database_is_down_serves_once_it_is_up() {
    let env = TestEnv::from_env();
    let postgres = private_postgres().await;
    let mut config = fresh_orders_config(&env, env.kafka_brokers()).await;
    config.host.database_url = orderflow_host::config::DatabaseUrl::new(
        orderflow_devstack::ensure_database(&postgres.run(|cluster| cluster.url()).await, "orders")
            .await
            .unwrap(),
    );
    postgres
        .run(|cluster| cluster.shut_down(Shutdown::Fast))
        .await;

    let app = orders::App::build(config)
        .await
        .expect("the service starts without its database");
    let addr = app.grpc_addr();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let status = until(
        "the server answers",
        Duration::from_secs(30),
        || health_status(addr),
        |status| status.is_ok(),
    )
    .await;
    assert_eq!(status, Ok(ServingStatus::NotServing), "no database yet");
    let mut orders = OrdersServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let early = orders
        .get_order(GetOrderRequest {
            id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect_err("no answer before the service is set up");
    assert_eq!(early.code(), tonic::Code::Unavailable, "{early:?}");

    postgres
        .run(Postgres::restart)
        .await
        .expect("PostgreSQL starts");
    let _serving = until(
        "the service reports SERVING once its database is up",
        Duration::from_secs(60),
        || health_status(addr),
        |status| *status == Ok(ServingStatus::Serving),
    )
    .await;

    shutdown.cancel();
    running.await.unwrap().unwrap();
    drop(postgres);
}

/// A call the service answers UNAVAILABLE (its database is gone) makes it
/// check its dependencies at once, not at the next tick (an hour here).
#[tokio::test]
async fn a_call_that_finds_the_database_gone_turns_health_to_not_serving_at_once() {
    let env = TestEnv::from_env();
    let postgres = private_postgres().await;
    let mut config = fresh_orders_config(&env, env.kafka_brokers()).await;
    config.host.database_url = orderflow_host::config::DatabaseUrl::new(
        orderflow_devstack::ensure_database(&postgres.run(|cluster| cluster.url()).await, "orders")
            .await
            .unwrap(),
    );
    config.host.health_interval = Duration::from_secs(3600);
    let app = orders::App::build(config).await.unwrap();
    let addr = app.grpc_addr();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let _serving = until(
        "the service reports SERVING",
        Duration::from_secs(60),
        || health_status(addr),
        |status| *status == Ok(ServingStatus::Serving),
    )
    .await;

    postgres
        .run(|cluster| cluster.shut_down(Shutdown::Fast))
        .await;
    assert_eq!(
        health_status(addr).await,
        Ok(ServingStatus::Serving),
        "no check has run since the database went"
    );
    let mut orders = OrdersServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let refused = orders
        .get_order(GetOrderRequest {
            id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect_err("no database, no order");
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    let _not_serving = until(
        "the service reports NOT_SERVING after the failed call",
        Duration::from_secs(15),
        || health_status(addr),
        |status| *status == Ok(ServingStatus::NotServing),
    )
    .await;

    shutdown.cancel();
    running.await.unwrap().unwrap();
    drop(postgres);
}

/// A private PostgreSQL cluster the test may stop, controlled from a thread
/// of its own (a server started on one of tokio's blocking threads would
/// get its parent-death signal when tokio retires that thread).
async fn private_postgres() -> Controlled<Postgres> {
    Controlled::start("PostgreSQL", Postgres::start_temporary)
        .await
        .expect("a private PostgreSQL")
}
