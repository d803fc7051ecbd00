//! Reading an invariants [`Snapshot`] from the running system: the orders
//! and payments databases, and the broker's groups and dead-letter topics.
//! The checks themselves are pure, in `orderflow-invariants`.

pub use orderflow_invariants::*;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// Reads the orders and payments databases, and the groups' lag and the
/// dead-letter topics on `brokers`.
pub(crate) async fn take_snapshot(
    orders_url: &str,
    payments_url: &str,
    brokers: &str,
    groups: &[(String, String)],
) -> Result<Snapshot, String> {
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
    Ok(Snapshot {
        orders,
        payments,
        balances,
        unpublished,
        dead_letters,
        lags,
    })
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
