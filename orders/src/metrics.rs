//! Orders' own metrics: orders created, orders settled and how long each
//! took from creation to `FINISHED` or `CANCELLED`.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use opentelemetry::{
    KeyValue,
    metrics::{Counter, Histogram},
};
use orderflow_runtime::metrics::{meter, seconds_histogram};

use crate::domain::{OrderStatus, Settlement};

struct Instruments {
    created: Counter<u64>,
    settled: Counter<u64>,
    settle_time: Histogram<f64>,
}

fn instruments() -> &'static Instruments {
    static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
    INSTRUMENTS.get_or_init(|| Instruments {
        created: meter()
            .u64_counter("orders.created")
            .with_description("Orders placed (a replayed request is not counted again)")
            .build(),
        settled: meter()
            .u64_counter("orders.settled")
            .with_description("Orders that became FINISHED or CANCELLED")
            .build(),
        settle_time: seconds_histogram(
            "orders.settle.duration",
            "From an order's creation to FINISHED or CANCELLED",
        ),
    })
}

/// An order was placed.
pub(crate) fn created() {
    instruments().created.add(1, &[]);
}

/// The status an order settles in, as the `status` label.
fn status(settlement: &Settlement) -> &'static str {
    match settlement {
        Settlement::Paid => OrderStatus::Finished.as_str(),
        Settlement::Declined(_) => OrderStatus::Cancelled.as_str(),
    }
}

/// An order created at `created_at` settled now as `settlement`.
pub(crate) fn settled(settlement: &Settlement, created_at: DateTime<Utc>) {
    let labels = [KeyValue::new("status", status(settlement))];
    let instruments = instruments();
    instruments.settled.add(1, &labels);
    let took = (Utc::now() - created_at)
        .to_std()
        .map_or(0.0, |took| took.as_secs_f64());
    instruments.settle_time.record(took, &labels);
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_domain::FailureReason;

    #[test]
    fn a_paid_order_settles_finished_and_a_declined_one_cancelled() {
        assert_eq!(status(&Settlement::Paid), "FINISHED");
        assert_eq!(
            status(&Settlement::Declined(FailureReason::InsufficientFunds)),
            "CANCELLED"
        );
    }
}
