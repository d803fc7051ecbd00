//! The system's invariants, checked after every fault (issue 12):
//!
//! - every accepted order is in the orders database, and every order there
//!   reaches FINISHED or CANCELLED;
//! - per user, balance = top-ups − the amounts of their FINISHED orders, and
//!   never negative;
//! - exactly one successful payment per FINISHED order, none for a CANCELLED
//!   one, and no successful payment without its FINISHED order;
//! - no outbox row left unpublished, nothing dead-lettered, and every
//!   consumer group caught up (lag 0).
//!
//! Pure: a [`Snapshot`] of what the system holds against a [`Ledger`] of
//! what was put in and accepted. Reading a snapshot is the caller's part
//! (the fault suite reads the databases and the broker).

use std::collections::BTreeMap;

/// An order the system accepted (answered with its id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub id: String,
    pub user: String,
    pub amount: i64,
}

/// What the clients did: the money it put in and the orders it saw accepted.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pub top_ups: BTreeMap<String, i64>,
    pub accepted: Vec<Placed>,
}

/// An order row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    pub id: String,
    pub user: String,
    pub amount: i64,
    pub status: String,
}

/// A payment row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    pub order_id: String,
    pub user: String,
    pub amount: i64,
    pub status: String,
}

/// The committed offsets of one consumer group against a topic's end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupLag {
    pub group: String,
    pub topic: String,
    /// Records not yet committed, summed over the partitions.
    pub lag: i64,
}

/// What the system holds at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub orders: Vec<OrderRow>,
    pub payments: Vec<PaymentRow>,
    pub balances: BTreeMap<String, i64>,
    /// Unpublished outbox rows, per service.
    pub unpublished: Vec<(String, i64)>,
    /// Records in the dead-letter topics.
    pub dead_letters: Vec<(String, i64)>,
    pub lags: Vec<GroupLag>,
}

/// Counts of a snapshot whose invariants hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled {
    pub finished: usize,
    pub cancelled: usize,
}

/// Every way `snapshot` breaks an invariant, given `ledger`; empty when all hold.
pub fn violations(ledger: &Ledger, snapshot: &Snapshot) -> Vec<String> {
    let mut found = Vec::new();
    let orders: BTreeMap<&str, &OrderRow> = snapshot
        .orders
        .iter()
        .map(|order| (order.id.as_str(), order))
        .collect();
    for placed in &ledger.accepted {
        match orders.get(placed.id.as_str()) {
            None => found.push(format!("accepted order {} is lost", placed.id)),
            Some(order) if order.user != placed.user || order.amount != placed.amount => found
                .push(format!(
                    "order {} is {order:?}, accepted as {placed:?}",
                    placed.id
                )),
            Some(_) => {}
        }
    }
    let mut payments: BTreeMap<&str, Vec<&PaymentRow>> = BTreeMap::new();
    for payment in &snapshot.payments {
        payments
            .entry(payment.order_id.as_str())
            .or_default()
            .push(payment);
    }
    let succeeded = |id: &str| -> Vec<&PaymentRow> {
        payments
            .get(id)
            .map(|rows| {
                rows.iter()
                    .copied()
                    .filter(|row| row.status == "SUCCEEDED")
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut finished_sum: BTreeMap<String, i64> = BTreeMap::new();
    for order in &snapshot.orders {
        let paid = succeeded(&order.id);
        match order.status.as_str() {
            "FINISHED" => {
                let sum = finished_sum.entry(order.user.clone()).or_default();
                match sum.checked_add(order.amount) {
                    Some(more) => *sum = more,
                    None => found.push(format!("{}: FINISHED amounts overflow", order.user)),
                }
                if paid.len() != 1 || paid[0].amount != order.amount || paid[0].user != order.user {
                    found.push(format!(
                        "FINISHED order {} has successful payments {paid:?}",
                        order.id
                    ));
                }
            }
            "CANCELLED" if !paid.is_empty() => found.push(format!(
                "CANCELLED order {} has successful payments {paid:?}",
                order.id
            )),
            "CANCELLED" => {}
            status => found.push(format!("order {} is still {status}", order.id)),
        }
    }
    for payment in snapshot.payments.iter().filter(|p| p.status == "SUCCEEDED") {
        let finished = orders
            .get(payment.order_id.as_str())
            .is_some_and(|order| order.status == "FINISHED");
        if !finished {
            found.push(format!(
                "payment {payment:?} debits an order that is not FINISHED"
            ));
        }
    }
    found.extend(balance_violations(
        &ledger.top_ups,
        &finished_sum,
        &snapshot.balances,
    ));
    for (service, count) in &snapshot.unpublished {
        if *count != 0 {
            found.push(format!("{service}: {count} outbox rows unpublished"));
        }
    }
    for (topic, count) in &snapshot.dead_letters {
        if *count != 0 {
            found.push(format!("{topic}: {count} records dead-lettered"));
        }
    }
    for lag in &snapshot.lags {
        if lag.lag != 0 {
            found.push(format!(
                "group {} is {} records behind on {}",
                lag.group, lag.lag, lag.topic
            ));
        }
    }
    found
}

/// Per user: balance = top-ups − the amounts of their FINISHED orders, and
/// no balance below zero. Every way that fails; empty when it holds.
pub fn balance_violations(
    top_ups: &BTreeMap<String, i64>,
    finished: &BTreeMap<String, i64>,
    balances: &BTreeMap<String, i64>,
) -> Vec<String> {
    let mut found = Vec::new();
    for (user, top_up) in top_ups {
        let spent = finished.get(user).copied().unwrap_or(0);
        let Some(expected) = top_up.checked_sub(spent) else {
            found.push(format!("{user}: FINISHED orders overflow the arithmetic"));
            continue;
        };
        match balances.get(user) {
            Some(balance) if *balance == expected && *balance >= 0 => {}
            Some(balance) => found.push(format!(
                "{user}: balance {balance}, expected {top_up} − FINISHED = {expected}"
            )),
            None => found.push(format!("{user}: no account")),
        }
    }
    for (user, balance) in balances {
        if *balance < 0 {
            found.push(format!("{user}: negative balance {balance}"));
        }
    }
    found
}

impl Snapshot {
    /// Counts of FINISHED and CANCELLED orders.
    pub fn settled(&self) -> Settled {
        let count = |status: &str| self.orders.iter().filter(|o| o.status == status).count();
        Settled {
            finished: count("FINISHED"),
            cancelled: count("CANCELLED"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str, amount: i64, status: &str) -> OrderRow {
        OrderRow {
            id: id.into(),
            user: "ann".into(),
            amount,
            status: status.into(),
        }
    }

    fn paid(id: &str, amount: i64) -> PaymentRow {
        PaymentRow {
            order_id: id.into(),
            user: "ann".into(),
            amount,
            status: "SUCCEEDED".into(),
        }
    }

    fn ledger() -> Ledger {
        Ledger {
            top_ups: [("ann".to_owned(), 100)].into(),
            accepted: vec![Placed {
                id: "o1".into(),
                user: "ann".into(),
                amount: 30,
            }],
        }
    }

    fn healthy() -> Snapshot {
        Snapshot {
            orders: vec![order("o1", 30, "FINISHED"), order("o2", 90, "CANCELLED")],
            payments: vec![paid("o1", 30)],
            balances: [("ann".to_owned(), 70)].into(),
            unpublished: vec![("orders".into(), 0)],
            dead_letters: vec![("t.dlq".into(), 0)],
            lags: vec![GroupLag {
                group: "g".into(),
                topic: "t".into(),
                lag: 0,
            }],
        }
    }

    #[test]
    fn a_settled_system_breaks_nothing() {
        assert_eq!(violations(&ledger(), &healthy()), Vec::<String>::new());
        let settled = healthy().settled();
        assert_eq!((settled.finished, settled.cancelled), (1, 1));
    }

    #[test]
    fn a_lost_or_unsettled_order_is_reported() {
        let mut snapshot = healthy();
        snapshot.orders[1].status = "NEW".into();
        snapshot.orders.remove(0);
        let found = violations(&ledger(), &snapshot).join("\n");
        assert!(found.contains("o1 is lost"), "{found}");
        assert!(found.contains("o2 is still NEW"), "{found}");
    }

    #[test]
    fn a_double_debit_shows_in_the_balance_and_the_payments() {
        let mut snapshot = healthy();
        snapshot.payments.push(paid("o2", 90));
        snapshot.balances.insert("ann".into(), -20);
        let found = violations(&ledger(), &snapshot).join("\n");
        assert!(found.contains("CANCELLED order o2"), "{found}");
        assert!(found.contains("not FINISHED"), "{found}");
        assert!(found.contains("expected 100 − FINISHED = 70"), "{found}");
        assert!(found.contains("negative balance"), "{found}");
    }

    #[test]
    fn a_balance_off_by_a_finished_order_is_reported_alone() {
        let top_ups = [("ann".to_owned(), 100), ("bob".to_owned(), 0)].into();
        let finished = [("ann".to_owned(), 30)].into();
        let right = [("ann".to_owned(), 70), ("bob".to_owned(), 0)].into();
        assert!(balance_violations(&top_ups, &finished, &right).is_empty());
        let wrong = [("ann".to_owned(), 40), ("bob".to_owned(), 0)].into();
        let found = balance_violations(&top_ups, &finished, &wrong);
        assert_eq!(found, ["ann: balance 40, expected 100 − FINISHED = 70"]);
        let missing = [("ann".to_owned(), 70)].into();
        assert_eq!(
            balance_violations(&top_ups, &finished, &missing),
            ["bob: no account"]
        );
    }

    #[test]
    fn a_finished_order_without_its_payment_is_reported() {
        let mut snapshot = healthy();
        snapshot.payments.clear();
        let found = violations(&ledger(), &snapshot).join("\n");
        assert!(found.contains("FINISHED order o1 has successful payments []"));
    }

    #[test]
    fn leftovers_in_the_outbox_the_dead_letters_or_a_group_are_reported() {
        let mut snapshot = healthy();
        snapshot.unpublished[0].1 = 2;
        snapshot.dead_letters[0].1 = 1;
        snapshot.lags[0].lag = 3;
        let found = violations(&ledger(), &snapshot);
        assert_eq!(found.len(), 3, "{found:?}");
    }
}
