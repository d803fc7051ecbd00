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
//! [`violations`] is pure (a [`Snapshot`] against what the test did, its
//! [`Ledger`]); [`Snapshot::take`] reads the databases and the broker.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// An order the system accepted (answered with its id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub id: String,
    pub user: String,
    pub amount: i64,
}

/// What the test did: the money it put in and the orders it saw accepted.
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
    let mut finished_sum: BTreeMap<&str, i64> = BTreeMap::new();
    for order in &snapshot.orders {
        let paid = succeeded(&order.id);
        match order.status.as_str() {
            "FINISHED" => {
                *finished_sum.entry(order.user.as_str()).or_default() += order.amount;
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
    for (user, top_ups) in &ledger.top_ups {
        let expected = top_ups - finished_sum.get(user.as_str()).copied().unwrap_or(0);
        match snapshot.balances.get(user) {
            Some(balance) if *balance == expected && *balance >= 0 => {}
            Some(balance) => found.push(format!(
                "{user}: balance {balance}, expected {top_ups} − FINISHED = {expected}"
            )),
            None => found.push(format!("{user}: no account")),
        }
    }
    for (user, balance) in &snapshot.balances {
        if *balance < 0 {
            found.push(format!("{user}: negative balance {balance}"));
        }
    }
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

impl Snapshot {
    /// Counts of FINISHED and CANCELLED orders.
    pub fn settled(&self) -> Settled {
        let count = |status: &str| self.orders.iter().filter(|o| o.status == status).count();
        Settled {
            finished: count("FINISHED"),
            cancelled: count("CANCELLED"),
        }
    }

    /// Reads the orders and payments databases, and the groups' lag and the
    /// dead-letter topics on `brokers`.
    pub async fn take(
        orders_url: &str,
        payments_url: &str,
        brokers: &str,
        groups: &[(String, String)],
    ) -> Result<Self, String> {
        let orders_db = connect(orders_url).await?;
        let payments_db = connect(payments_url).await?;
        let rows = |db, sql| query(db, sql);
        let orders = rows(
            &orders_db,
            "SELECT id::text AS a, user_id AS b, amount AS n, status AS c FROM orders",
        )
        .await?
        .into_iter()
        .map(|(id, user, amount, status)| OrderRow {
            id,
            user,
            amount,
            status,
        })
        .collect();
        let payments = rows(
            &payments_db,
            "SELECT order_id::text AS a, user_id AS b, amount AS n, status AS c FROM payments",
        )
        .await?
        .into_iter()
        .map(|(order_id, user, amount, status)| PaymentRow {
            order_id,
            user,
            amount,
            status,
        })
        .collect();
        let balances = rows(
            &payments_db,
            "SELECT user_id AS a, '' AS b, balance AS n, '' AS c FROM accounts",
        )
        .await?
        .into_iter()
        .map(|(user, _, balance, _)| (user, balance))
        .collect();
        let unpublished_sql = "SELECT '' AS a, '' AS b, count(*) AS n, '' AS c \
                               FROM outbox WHERE published_at IS NULL";
        let mut unpublished = Vec::new();
        for (service, db) in [("orders", &orders_db), ("payments", &payments_db)] {
            let count = rows(db, unpublished_sql)
                .await?
                .first()
                .map_or(0, |row| row.2);
            unpublished.push((service.to_owned(), count));
        }
        orders_db.close().await.ok();
        payments_db.close().await.ok();
        let (lags, dead_letters) = crate::kafka::lags(brokers, groups).await?;
        Ok(Self {
            orders,
            payments,
            balances,
            unpublished,
            dead_letters,
            lags,
        })
    }
}

async fn connect(url: &str) -> Result<DatabaseConnection, String> {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .max_connections(2)
        .connect_timeout(std::time::Duration::from_secs(3))
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .map_err(|error| format!("connecting to {url}: {error}"))
}

/// Rows of (text a, text b, bigint n, text c).
async fn query(
    db: &DatabaseConnection,
    sql: &str,
) -> Result<Vec<(String, String, i64, String)>, String> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .map_err(|error| format!("{sql}: {error}"))?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "a").map_err(|e| e.to_string())?,
                row.try_get("", "b").map_err(|e| e.to_string())?,
                row.try_get("", "n").map_err(|e| e.to_string())?,
                row.try_get("", "c").map_err(|e| e.to_string())?,
            ))
        })
        .collect()
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
