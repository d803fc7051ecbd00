//! Raw Kafka access for tests: produce any bytes, read a topic back.

use std::time::Duration;

use rdkafka::{
    ClientConfig, Message,
    consumer::{Consumer, StreamConsumer},
    message::{Headers, OwnedHeaders},
    producer::{FutureProducer, FutureRecord},
};

/// Produces `payload` with `headers` to `topic` and waits for the delivery report.
pub async fn produce(
    brokers: &str,
    topic: &str,
    key: &str,
    payload: &[u8],
    headers: &[(&str, &str)],
) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("a producer");
    let mut owned = OwnedHeaders::new();
    for (name, value) in headers {
        owned = owned.insert(rdkafka::message::Header {
            key: name,
            value: Some(*value),
        });
    }
    producer
        .send(
            FutureRecord::to(topic)
                .key(key)
                .payload(payload)
                .headers(owned),
            Duration::from_secs(20),
        )
        .await
        .map_err(|(error, _)| error)
        .expect("the record is delivered");
    // Dropping a producer flushes and destroys it, which blocks.
    tokio::task::spawn_blocking(move || drop(producer))
        .await
        .expect("the producer is dropped");
}

/// A record as a test sees it.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: Option<String>,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Reads a topic from the beginning in a group of its own.
pub struct TopicReader {
    consumer: Option<StreamConsumer>,
}

impl TopicReader {
    pub fn new(brokers: &str, topic: &str) -> Self {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", orderflow_devstack::unique_name("reader"))
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .expect("a consumer");
        consumer.subscribe(&[topic]).expect("subscribed");
        Self {
            consumer: Some(consumer),
        }
    }

    /// The next `count` records, or a panic naming what came within `timeout`.
    pub async fn read(&self, count: usize, timeout: Duration) -> Vec<Record> {
        let consumer = self.consumer.as_ref().expect("open");
        let mut records = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        while records.len() < count {
            let message = tokio::time::timeout_at(deadline, consumer.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "only {} of {count} records within {timeout:?}: {records:?}",
                        records.len()
                    )
                })
                .expect("a record");
            records.push(Record {
                key: message
                    .key()
                    .map(|key| String::from_utf8_lossy(key).into_owned()),
                payload: message.payload().unwrap_or_default().to_vec(),
                headers: message
                    .headers()
                    .map(|headers| {
                        headers
                            .iter()
                            .map(|header| {
                                (
                                    header.key.to_owned(),
                                    String::from_utf8_lossy(header.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        records
    }
}

impl Drop for TopicReader {
    fn drop(&mut self) {
        // librdkafka's destroy can hang after a group session: leave the
        // group and let a detached thread do the drop.
        if let Some(consumer) = self.consumer.take() {
            consumer.unsubscribe();
            std::thread::spawn(move || drop(consumer));
        }
    }
}
