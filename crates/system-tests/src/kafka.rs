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

/// Each `(group, topic)`'s lag (the topic's end minus the group's committed
/// offsets, over its partitions), and the records in each topic's `.dlq`.
pub(crate) async fn lags(
    brokers: &str,
    groups: &[(String, String)],
) -> Result<(Vec<crate::invariants::GroupLag>, Vec<(String, i64)>), String> {
    let brokers = brokers.to_owned();
    let groups = groups.to_vec();
    // rdkafka's admin calls block: keep them off the async threads.
    tokio::task::spawn_blocking(move || {
        let mut lags = Vec::new();
        let mut dead_letters = Vec::new();
        for (group, topic) in &groups {
            let consumer: rdkafka::consumer::BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .set("group.id", group)
                .set("enable.auto.commit", "false")
                .create()
                .map_err(|error| error.to_string())?;
            let lag = group_lag(&consumer, topic)?;
            lags.push(crate::invariants::GroupLag {
                group: group.clone(),
                topic: topic.clone(),
                lag,
            });
            let dlq = format!("{topic}.dlq");
            let records = partitions(&consumer, &dlq)?
                .into_iter()
                .map(|partition| end_offsets(&consumer, &dlq, partition))
                .sum::<Result<i64, String>>()?;
            dead_letters.push((dlq, records));
        }
        Ok((lags, dead_letters))
    })
    .await
    .map_err(|error| error.to_string())?
}

const ADMIN_TIMEOUT: Duration = Duration::from_secs(5);

fn partitions(consumer: &rdkafka::consumer::BaseConsumer, topic: &str) -> Result<Vec<i32>, String> {
    let metadata = consumer
        .fetch_metadata(Some(topic), ADMIN_TIMEOUT)
        .map_err(|error| format!("metadata of {topic}: {error}"))?;
    Ok(metadata
        .topics()
        .iter()
        .flat_map(|found| found.partitions().iter().map(|p| p.id()))
        .collect())
}

/// The high watermark minus the low one: records there now.
fn end_offsets(
    consumer: &rdkafka::consumer::BaseConsumer,
    topic: &str,
    partition: i32,
) -> Result<i64, String> {
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, ADMIN_TIMEOUT)
        .map_err(|error| format!("watermarks of {topic}/{partition}: {error}"))?;
    Ok(high - low)
}

fn group_lag(consumer: &rdkafka::consumer::BaseConsumer, topic: &str) -> Result<i64, String> {
    use rdkafka::{Offset, TopicPartitionList};
    let mut lag = 0;
    let mut wanted = TopicPartitionList::new();
    for partition in partitions(consumer, topic)? {
        wanted.add_partition(topic, partition);
    }
    let committed = consumer
        .committed_offsets(wanted, ADMIN_TIMEOUT)
        .map_err(|error| format!("committed offsets on {topic}: {error}"))?;
    for element in committed.elements() {
        let (_, high) = consumer
            .fetch_watermarks(topic, element.partition(), ADMIN_TIMEOUT)
            .map_err(|error| format!("watermarks of {topic}: {error}"))?;
        let done = match element.offset() {
            Offset::Offset(offset) => offset,
            _ => 0,
        };
        lag += high - done;
    }
    Ok(lag)
}

/// How many records `topic` holds now, over its partitions.
pub async fn records_in(brokers: &str, topic: &str) -> Result<i64, String> {
    let (brokers, topic) = (brokers.to_owned(), topic.to_owned());
    tokio::task::spawn_blocking(move || {
        let consumer: rdkafka::consumer::BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .create()
            .map_err(|error| error.to_string())?;
        partitions(&consumer, &topic)?
            .into_iter()
            .map(|partition| end_offsets(&consumer, &topic, partition))
            .sum()
    })
    .await
    .map_err(|error| error.to_string())?
}
