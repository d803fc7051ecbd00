//! Taking records from the consumer a batch at a time, and the offsets that
//! a handled batch stores for librdkafka's next periodic commit.

use std::collections::BTreeMap;

use anyhow::Context;
use futures::FutureExt;
use rdkafka::{
    Message, Offset, TopicPartitionList, consumer::Consumer, error::KafkaError,
    message::BorrowedMessage,
};

use crate::kafka::GroupConsumer;

/// What one receive returned: the records, in the order the consumer gave
/// them, and the error that ended the batch, if one did.
pub(super) struct Received<'c> {
    pub(super) records: Vec<BorrowedMessage<'c>>,
    pub(super) error: Option<KafkaError>,
}

/// Waits for the next record, then takes those already fetched behind it
/// without waiting, up to `max` in all. A batch is whatever has arrived: at
/// a trickle it is one record and costs no latency; under load it grows.
pub(super) async fn batch(consumer: &GroupConsumer, max: usize) -> Received<'_> {
    let mut records = Vec::new();
    let first = consumer.recv().await;
    let mut next = Some(first);
    while let Some(received) = next {
        match received {
            Ok(record) => records.push(record),
            Err(error) => {
                return Received {
                    records,
                    error: Some(error),
                };
            }
        }
        if records.len() >= max {
            break;
        }
        // Ready now, or not at all: a record still on its way starts the
        // next batch.
        next = consumer.recv().now_or_never();
    }
    Received {
        records,
        error: None,
    }
}

/// Stores the offsets after `records`, to be committed with the next
/// periodic commit (see `kafka::COMMIT_INTERVAL_MS`), or when the
/// partitions are revoked or the consumer closes. A failure (e.g. a
/// partition revoked meanwhile) is logged: the records may then be
/// delivered again, and the inbox absorbs them.
pub(super) fn commit(consumer: &GroupConsumer, records: &[BorrowedMessage<'_>]) {
    let stored = next_offsets(records)
        .and_then(|offsets| consumer.store_offsets(&offsets).context("storing offsets"));
    if let Err(error) = stored {
        tracing::warn!(
            error = format!("{error:#}"),
            "storing offsets failed; the records may be redelivered"
        );
    }
}

/// The offsets to store once `records` are handled: for each partition,
/// the one after its last record.
fn next_offsets(records: &[BorrowedMessage<'_>]) -> anyhow::Result<TopicPartitionList> {
    let mut offsets = TopicPartitionList::new();
    let positions = records
        .iter()
        .map(|record| ((record.topic(), record.partition()), record.offset()));
    for ((topic, partition), next) in after_last(positions) {
        offsets
            .add_partition_offset(topic, partition, Offset::Offset(next))
            .with_context(|| format!("the offset {next} of {topic}/{partition}"))?;
    }
    Ok(offsets)
}

/// For each key, one past the highest offset seen.
fn after_last<K: Ord>(positions: impl IntoIterator<Item = (K, i64)>) -> BTreeMap<K, i64> {
    let mut next = BTreeMap::new();
    for (key, offset) in positions {
        let after = offset + 1;
        next.entry(key)
            .and_modify(|known: &mut i64| *known = (*known).max(after))
            .or_insert(after);
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partition_commits_the_offset_after_its_last_record() {
        let next = after_last([(0, 7), (1, 3), (0, 8), (2, 0), (1, 4)]);
        assert_eq!(next, BTreeMap::from([(0, 9), (1, 5), (2, 1)]));
    }

    #[test]
    fn a_redelivered_older_record_does_not_move_a_partition_back() {
        let next = after_last([(0, 8), (0, 5)]);
        assert_eq!(next, BTreeMap::from([(0, 9)]));
    }

    #[test]
    fn no_records_commit_nothing() {
        assert!(after_last(std::iter::empty::<(i32, i64)>()).is_empty());
    }
}
