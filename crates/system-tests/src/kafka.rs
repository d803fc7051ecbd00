//! Raw Kafka access for tests: produce any bytes, read a topic back.

use std::time::Duration;

use rdkafka::{
    ClientConfig, Message,
    consumer::{BaseConsumer, Consumer, StreamConsumer},
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
    let producer = producer(brokers);
    send(&producer, topic, None, key, payload, headers).await;
    close_producer(producer).await;
}

/// Closes a producer from [`producer`] off the async threads (dropping one
/// flushes and destroys it, which blocks).
pub async fn close_producer(producer: FutureProducer) {
    orderflow_messaging::kafka::close_producer(producer, Duration::from_secs(5)).await;
}

/// The contract headers the outbox relay writes, for a record made by hand.
pub fn contract_headers<'a>(event_id: &'a str, event_type: &'a str) -> [(&'a str, &'a str); 3] {
    use orderflow_messaging::headers;
    [
        (headers::EVENT_ID, event_id),
        (headers::EVENT_TYPE, event_type),
        (headers::CONTENT_TYPE, headers::PROTOBUF),
    ]
}

/// A producer for [`send`].
pub fn producer(brokers: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "0")
        .create()
        .expect("a producer")
}

/// Produces `payload` with `headers` to `topic` (to `partition` when given,
/// else by key) and waits for the delivery report.
pub async fn send(
    producer: &FutureProducer,
    topic: &str,
    partition: Option<i32>,
    key: &str,
    payload: &[u8],
    headers: &[(&str, &str)],
) {
    let mut owned = OwnedHeaders::new();
    for (name, value) in headers {
        owned = owned.insert(rdkafka::message::Header {
            key: name,
            value: Some(*value),
        });
    }
    let mut record = FutureRecord::to(topic)
        .key(key)
        .payload(payload)
        .headers(owned);
    if let Some(partition) = partition {
        record = record.partition(partition);
    }
    producer
        .send(record, Duration::from_secs(20))
        .await
        .map_err(|(error, _)| error)
        .expect("the record is delivered");
}

/// A client for looking up offsets, groups and partitions (it never
/// subscribes or commits), as `group` when one is given. Its calls block:
/// use it inside `spawn_blocking`.
fn lookup_client(brokers: &str, group: Option<&str>) -> Result<BaseConsumer, String> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("enable.auto.commit", "false");
    if let Some(group) = group {
        config.set("group.id", group);
    }
    config.create().map_err(|error| error.to_string())
}

/// The offsets consumer group `group` has committed on `topic`, summed over
/// its partitions (one with none counts 0): on a topic whose records all
/// went to one partition, that partition's committed offset. `None` while
/// the coordinator cannot answer.
pub async fn committed_total(
    brokers: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> Option<i64> {
    let brokers = brokers.to_owned();
    let group = group.to_owned();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let client = lookup_client(&brokers, Some(&group)).expect("a client");
        let mut wanted = rdkafka::TopicPartitionList::new();
        for partition in 0..partitions {
            wanted.add_partition(&topic, partition);
        }
        let committed = client
            .committed_offsets(wanted, Duration::from_secs(5))
            .ok()?;
        Some(
            committed
                .elements()
                .iter()
                .filter_map(|element| element.offset().to_raw())
                .filter(|offset| *offset >= 0)
                .sum(),
        )
    })
    .await
    .expect("the offset lookup does not panic")
}

/// The partitions of `topic` each member of consumer group `group` owns
/// (one entry per member, sorted), as the group coordinator reports them;
/// none while the coordinator cannot answer.
pub async fn group_assignment(brokers: &str, group: &str, topic: &str) -> Vec<Vec<i32>> {
    let brokers = brokers.to_owned();
    let group = group.to_owned();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let client = lookup_client(&brokers, None).expect("a client");
        // A transient answer (e.g. the coordinator still loading on a new
        // broker) is "no members yet": callers poll until the group is as
        // they expect.
        let groups = match client.fetch_group_list(Some(&group), Duration::from_secs(10)) {
            Ok(groups) => groups,
            Err(error) => {
                eprintln!("listing group {group}: {error}; asking again");
                return Vec::new();
            }
        };
        let mut owned: Vec<Vec<i32>> = groups
            .groups()
            .iter()
            .filter(|listed| listed.name() == group && listed.state() == "Stable")
            .flat_map(|listed| listed.members())
            .map(|member| {
                let mut partitions = member
                    .assignment()
                    .map(|bytes| assigned_partitions(bytes, &topic))
                    .unwrap_or_default();
                partitions.sort_unstable();
                partitions
            })
            .collect();
        owned.sort();
        owned
    })
    .await
    .expect("the group lookup does not panic")
}

/// The partitions of `topic` in a consumer protocol assignment: version
/// (i16), then per topic its name (i16 length + bytes) and partitions (i32
/// count + i32 each).
fn assigned_partitions(bytes: &[u8], topic: &str) -> Vec<i32> {
    let mut at = 2;
    let mut take = |len: usize| {
        let slice = bytes.get(at..at + len);
        at += len;
        slice
    };
    let mut partitions = Vec::new();
    let int = |slice: Option<&[u8]>| {
        slice.map_or(0, |b| i32::from_be_bytes(b.try_into().unwrap_or([0; 4])))
    };
    let topics = int(take(4));
    for _ in 0..topics {
        let name_len = take(2)
            .map_or(0, |b| i16::from_be_bytes([b[0], b[1]]))
            .max(0) as usize;
        let name = take(name_len)
            .map(String::from_utf8_lossy)
            .unwrap_or_default()
            .into_owned();
        let count = int(take(4));
        for _ in 0..count {
            let partition = int(take(4));
            if name == topic {
                partitions.push(partition);
            }
        }
    }
    partitions
}

/// A record as a test sees it.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: Option<String>,
    pub payload: Vec<u8>,
    pub(crate) headers: Vec<(String, String)>,
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
        if let Some(consumer) = self.consumer.take() {
            orderflow_devstack::close_consumer(consumer);
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
            let consumer = lookup_client(&brokers, Some(group))?;
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

fn partitions(consumer: &BaseConsumer, topic: &str) -> Result<Vec<i32>, String> {
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
fn end_offsets(consumer: &BaseConsumer, topic: &str, partition: i32) -> Result<i64, String> {
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, ADMIN_TIMEOUT)
        .map_err(|error| format!("watermarks of {topic}/{partition}: {error}"))?;
    Ok(high - low)
}

fn group_lag(consumer: &BaseConsumer, topic: &str) -> Result<i64, String> {
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
        let consumer = lookup_client(&brokers, None)?;
        partitions(&consumer, &topic)?
            .into_iter()
            .map(|partition| end_offsets(&consumer, &topic, partition))
            .sum()
    })
    .await
    .map_err(|error| error.to_string())?
}
