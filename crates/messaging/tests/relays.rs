//! Several relays on one outbox publish every row exactly once, and a row
//! the broker does not confirm stays unpublished.

use std::{collections::HashSet, time::Duration};

use orderflow_devstack::{TestEnv, unique_name};
use orderflow_messaging::{
    MessagingConfig, kafka,
    migration::CreateOutboxAndInbox,
    outbox::{self, OutboxEvent},
    relay::{Delivery, Relay},
};
use rdkafka::{
    ClientConfig, Message,
    consumer::{Consumer, StreamConsumer},
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateOutboxAndInbox)]
    }
}

#[tokio::test]
async fn two_relays_on_one_outbox_publish_every_row_once() {
    const ROWS: usize = 300;
    let env = TestEnv::from_env();
    let db = outbox_database(&env, "relays").await;
    let topic = unique_name("relays");
    let mut config = MessagingConfig::new(env.kafka_brokers());
    config.batch_size = 7;
    kafka::ensure_topics(&config, &[&topic]).await.unwrap();
    for i in 0..ROWS {
        outbox::append(
            &db,
            OutboxEvent {
                event_id: uuid::Uuid::new_v4(),
                topic: topic.clone(),
                key: format!("user-{}", i % 5),
                event_type: "test.Event",
                payload: i.to_string().into_bytes(),
            },
        )
        .await
        .unwrap();
    }

    let drain = |relay: Relay| async move {
        let mut published = 0;
        while let Delivery::Published(count) = relay.publish_batch().await.unwrap() {
            published += count;
        }
        published
    };
    let (first, second) = tokio::join!(
        drain(Relay::new(db.clone(), config.clone()).unwrap()),
        drain(Relay::new(db.clone(), config.clone()).unwrap()),
    );
    assert_eq!(first + second, ROWS, "relay counts {first} + {second}");
    assert!(
        first > 0 && second > 0,
        "both relays took part: {first} and {second}"
    );
    assert_eq!(unpublished_topics(&db).await, Vec::<String>::new());

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", env.kafka_brokers())
        .set("group.id", unique_name("relays-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let mut seen = HashSet::new();
    let mut records = 0;
    // Read everything, then wait a little longer for any duplicate.
    loop {
        let patience = Duration::from_secs(if records < ROWS { 30 } else { 3 });
        let Ok(message) = tokio::time::timeout(patience, consumer.recv()).await else {
            break;
        };
        let message = message.unwrap();
        records += 1;
        seen.insert(String::from_utf8(message.payload().unwrap().to_vec()).unwrap());
    }
    assert_eq!(seen.len(), ROWS, "every row arrived");
    assert_eq!(records, ROWS, "no row arrived twice");
    orderflow_devstack::close_consumer(consumer);
}

#[tokio::test]
async fn a_row_the_broker_does_not_confirm_stays_unpublished_while_the_rest_of_its_batch_is_marked()
{
    let env = TestEnv::from_env();
    let db = outbox_database(&env, "relay-undelivered").await;
    let topic = unique_name("relay-delivered");
    // The broker creates no topics on its own: a record for this one is
    // never confirmed.
    let missing = unique_name("relay-missing");
    let mut config = MessagingConfig::new(env.kafka_brokers());
    config.message_timeout = Duration::from_secs(2);
    kafka::ensure_topics(&config, &[&topic]).await.unwrap();
    for topic in [&topic, &missing, &topic] {
        outbox::append(
            &db,
            OutboxEvent {
                event_id: uuid::Uuid::now_v7(),
                topic: topic.clone(),
                key: "user-1".to_owned(),
                event_type: "test.Event",
                payload: b"payload".to_vec(),
            },
        )
        .await
        .unwrap();
    }
    let relay = Relay::new(db.clone(), config).unwrap();

    for pass in 1..=2 {
        let error = relay
            .publish_batch()
            .await
            .expect_err("the row for the missing topic is not delivered");
        assert!(
            format!("{error:#}").contains(if pass == 1 { "1 of 3" } else { "1 of 1" }),
            "pass {pass}: {error:#}"
        );
        assert_eq!(
            unpublished_topics(&db).await,
            std::slice::from_ref(&missing),
            "after pass {pass}"
        );
    }
}

/// A fresh database with the outbox and inbox tables.
async fn outbox_database(env: &TestEnv, name: &str) -> DatabaseConnection {
    let db = Database::connect(&env.fresh_database(name).await.unwrap())
        .await
        .unwrap();
    Migrator::up(&db, None).await.unwrap();
    db
}

/// The topic of each outbox row not marked published.
async fn unpublished_topics(db: &DatabaseConnection) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT topic FROM outbox WHERE published_at IS NULL",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "topic").unwrap())
    .collect()
}
