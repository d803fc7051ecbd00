//! Kafka clients configured the one way this project uses them.

use std::time::Duration;

use anyhow::Context;
use rdkafka::{
    ClientConfig,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::StreamConsumer,
    producer::FutureProducer,
    types::RDKafkaErrorCode,
};

use crate::MessagingConfig;

/// An idempotent producer (`acks=all`): a retried send is written once, and
/// records of one key keep their order.
pub fn producer(config: &MessagingConfig) -> anyhow::Result<FutureProducer> {
    ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "1")
        .set(
            "message.timeout.ms",
            config.message_timeout.as_millis().to_string(),
        )
        .create()
        .context("creating the Kafka producer")
}

/// A consumer in `group` that never commits on its own and starts at the
/// earliest offset when the group has none.
pub fn consumer(config: &MessagingConfig, group: &str) -> anyhow::Result<StreamConsumer> {
    ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set(
            "fetch.wait.max.ms",
            config.fetch_wait.as_millis().to_string(),
        )
        .create()
        .context("creating the Kafka consumer")
}

/// Creates each topic (and its `.dlq`) that does not exist yet.
pub async fn ensure_topics(config: &MessagingConfig, topics: &[&str]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create()
        .context("creating the Kafka admin client")?;
    let names: Vec<String> = topics
        .iter()
        .flat_map(|topic| [(*topic).to_owned(), dead_letter_topic(topic)])
        .collect();
    let new_topics: Vec<NewTopic> = names
        .iter()
        .map(|name| NewTopic::new(name, config.partitions, TopicReplication::Fixed(1)))
        .collect();
    let options = AdminOptions::new()
        .request_timeout(Some(Duration::from_secs(10)))
        .operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .context("creating topics")?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => anyhow::bail!("creating topic {topic}: {code}"),
        }
    }
    Ok(())
}

/// Where records of `topic` that cannot be handled go.
pub fn dead_letter_topic(topic: &str) -> String {
    format!("{topic}.dlq")
}
