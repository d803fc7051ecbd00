//! The test harness itself: the broker and the database the tests get are
//! real, and behave like a Kafka broker and a PostgreSQL server.

use std::time::Duration;

use orderflow_devstack::{
    Broker, Controlled, Postgres, Shutdown, TestEnv, close_consumer, count, unique_name,
};
use rdkafka::{
    ClientConfig, Message,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::{CommitMode, Consumer, StreamConsumer},
    producer::{FutureProducer, FutureRecord},
};
use sea_orm::{ConnectionTrait, Database, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(
            orderflow_messaging::migration::CreateOutboxAndInbox,
        )]
    }
}

#[tokio::test]
async fn a_migration_applies_to_a_fresh_database_once() {
    let env = TestEnv::from_env();
    let url = env.fresh_database("harness").await.unwrap();
    let db = Database::connect(&url).await.unwrap();

    let tables = |db: sea_orm::DatabaseConnection| async move {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' ORDER BY table_name",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|row| row.try_get::<String>("", "table_name").unwrap())
            .collect::<Vec<_>>()
    };
    assert!(
        tables(db.clone()).await.is_empty(),
        "a fresh database is empty"
    );

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(
        tables(db.clone()).await,
        ["inbox", "outbox", "seaql_migrations"]
    );

    // Applying again finds nothing pending and changes nothing.
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        0
    );
    let applied = count(&db, "SELECT count(*) AS n FROM seaql_migrations").await;
    assert_eq!(applied, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_shut_down_fast_or_immediately_restarts_on_the_same_data() {
    let cluster = Controlled::start("PostgreSQL", Postgres::start_temporary)
        .await
        .unwrap();
    let url = cluster.run(|cluster| cluster.url()).await;
    let kept_rows = |url: String| async move {
        let db = Database::connect(&url).await.unwrap();
        let kept = count(&db, "SELECT count(*) AS n FROM kept").await;
        db.close().await.ok();
        kept
    };
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1), (2)")
        .await
        .unwrap();
    db.close().await.ok();

    cluster
        .run(|cluster| cluster.shut_down(Shutdown::Immediate))
        .await;
    assert!(!cluster.run(|cluster| cluster.is_running()).await);
    cluster.run(Postgres::restart).await.unwrap();
    assert_eq!(kept_rows(url.clone()).await, 2, "recovered from the WAL");

    cluster
        .run(|cluster| {
            cluster.shut_down(Shutdown::Fast);
            cluster.restart()
        })
        .await
        .unwrap();
    assert_eq!(kept_rows(url).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controlled_server_restarted_from_async_code_outlives_tokios_blocking_threads() {
    let cluster = Controlled::start("PostgreSQL", Postgres::start_temporary)
        .await
        .unwrap();
    cluster.run(Postgres::restart).await.unwrap();
    // tokio retires an idle blocking thread after 10 s; a server started on
    // one would get its parent-death signal then. This one was restarted on
    // the control thread, which lives as long as `cluster`.
    let idle = std::time::Duration::from_secs(12);
    let busy = tokio::task::spawn_blocking(|| ());
    busy.await.unwrap();
    tokio::time::sleep(idle).await;
    assert!(cluster.run(|cluster| cluster.is_running()).await);
    let url = cluster.run(|cluster| cluster.url()).await;
    let db = Database::connect(&url)
        .await
        .expect("the cluster still answers");
    db.close().await.ok();
}

#[tokio::test]
async fn a_committed_offset_survives_a_consumer_restart() {
    let env = TestEnv::from_env();
    let topic = unique_name("harness");
    let group = unique_name("harness-group");
    create_topic(env.kafka_brokers(), &topic).await;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", env.kafka_brokers())
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    let send = |value: String| {
        let producer = producer.clone();
        let topic = topic.clone();
        async move {
            producer
                .send(
                    FutureRecord::to(&topic).key("k").payload(&value),
                    Duration::from_secs(10),
                )
                .await
                .map_err(|(error, _)| error)
                .unwrap();
        }
    };

    for i in 0..3 {
        send(format!("first-{i}")).await;
    }
    let consumer = subscribe(env.kafka_brokers(), &group, &topic);
    let first = receive(&consumer, 3).await;
    assert_eq!(first, ["first-0", "first-1", "first-2"]);
    consumer.commit_consumer_state(CommitMode::Sync).unwrap();
    close_consumer(consumer)
        .within(Duration::from_secs(10))
        .await;

    for i in 0..2 {
        send(format!("second-{i}")).await;
    }
    let consumer = subscribe(env.kafka_brokers(), &group, &topic);
    let second = receive(&consumer, 2).await;
    assert_eq!(
        second,
        ["second-0", "second-1"],
        "nothing committed is read again"
    );
    close_consumer(consumer)
        .within(Duration::from_secs(10))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_stopped_and_started_again_keeps_its_records_and_committed_offsets() {
    let broker = Controlled::start("Kafka", Broker::start_temporary)
        .await
        .unwrap();
    let brokers = broker.run(|broker| broker.bootstrap_servers()).await;
    let topic = unique_name("restart");
    let group = unique_name("restart-group");
    create_topic(&brokers, &topic).await;
    send(&brokers, &topic, &["a", "b", "c"]).await;
    let consumer = subscribe(&brokers, &group, &topic);
    assert_eq!(receive(&consumer, 3).await, ["a", "b", "c"]);
    consumer.commit_consumer_state(CommitMode::Sync).unwrap();
    close_consumer(consumer)
        .within(Duration::from_secs(10))
        .await;

    broker.run(Broker::restart).await.unwrap();
    send(&brokers, &topic, &["d", "e"]).await;

    let consumer = subscribe(&brokers, &group, &topic);
    assert_eq!(
        receive(&consumer, 2).await,
        ["d", "e"],
        "the offset was kept"
    );
    close_consumer(consumer)
        .within(Duration::from_secs(10))
        .await;
    let everything = subscribe(&brokers, &unique_name("fresh-group"), &topic);
    assert_eq!(
        receive(&everything, 5).await,
        ["a", "b", "c", "d", "e"],
        "the records were kept"
    );
    close_consumer(everything)
        .within(Duration::from_secs(10))
        .await;
}

async fn send(brokers: &str, topic: &str, values: &[&str]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    for value in values {
        producer
            .send(
                FutureRecord::to(topic).key("k").payload(*value),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(error, _)| error)
            .unwrap();
    }
}

async fn create_topic(brokers: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .unwrap();
    for result in results {
        result.unwrap();
    }
}

fn subscribe(brokers: &str, group: &str, topic: &str) -> StreamConsumer {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    consumer
}

async fn receive(consumer: &StreamConsumer, count: usize) -> Vec<String> {
    let mut values = Vec::new();
    while values.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("only {values:?} arrived within 30 s"))
            .unwrap();
        let value = message.payload_view::<str>().unwrap().unwrap();
        values.push(value.to_owned());
    }
    values
}
