//! What an integration test needs: its own database and its own topics on
//! the shared cluster and broker that the test command started (or that
//! `DATABASE_URL` and `KAFKA_BROKERS` name).

const HOW_TO_RUN: &str = "integration tests need a PostgreSQL cluster, a Kafka broker and Jaeger: \
run them with `cargo xtask test` (which starts all three), or set DATABASE_URL (a superuser URL of \
a cluster), KAFKA_BROKERS (bootstrap servers), JAEGER_OTLP_ENDPOINT and JAEGER_QUERY_URL yourself";

/// The cluster, broker and Jaeger shared by the tests of one test run.
#[derive(Clone, Debug)]
pub struct TestEnv {
    database_url: String,
    kafka_brokers: String,
}

/// Where the tests' Jaeger takes spans and answers queries.
#[derive(Clone, Debug)]
pub struct TestJaeger {
    /// `JAEGER_OTLP_ENDPOINT`: OTLP/gRPC, for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub otlp_endpoint: String,
    /// `JAEGER_QUERY_URL`: the base of the query API (`/api/traces`).
    pub query_url: String,
}

impl TestJaeger {
    /// Reads `JAEGER_OTLP_ENDPOINT` and `JAEGER_QUERY_URL`; panics with
    /// instructions when they are not set.
    pub fn from_env() -> Self {
        Self {
            otlp_endpoint: required("JAEGER_OTLP_ENDPOINT"),
            query_url: required("JAEGER_QUERY_URL"),
        }
    }
}

fn required(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| panic!("{name} is not set: {HOW_TO_RUN}"))
}

impl TestEnv {
    /// Reads `DATABASE_URL` and `KAFKA_BROKERS`; panics with instructions
    /// when they are not set (this is test set-up, where a panic is the report).
    pub fn from_env() -> Self {
        Self {
            database_url: required("DATABASE_URL"),
            kafka_brokers: required("KAFKA_BROKERS"),
        }
    }

    /// Bootstrap servers of the shared broker.
    pub fn kafka_brokers(&self) -> &str {
        &self.kafka_brokers
    }

    /// Creates an empty database with a unique name and returns its URL.
    pub async fn fresh_database(&self, label: &str) -> anyhow::Result<String> {
        let name = unique_name(label).replace(['-', '.'], "_");
        crate::ensure_database(&self.database_url, &name).await
    }
}

/// `label` plus a random suffix: for topics, consumer groups and databases
/// that no other test (or earlier run) uses.
pub fn unique_name(label: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{label}-{}", &id[..12])
}

/// A number from `sql` (one row with a bigint column `n`) on `db`; panics
/// with the statement when it fails (test set-up, where a panic is the report).
pub async fn count(db: &impl sea_orm::ConnectionTrait, sql: &str) -> i64 {
    db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .unwrap_or_else(|error| panic!("{sql}: {error}"))
    .unwrap_or_else(|| panic!("{sql}: no row"))
    .try_get::<i64>("", "n")
    .unwrap_or_else(|error| panic!("{sql}: no bigint column n: {error}"))
}

/// An `http://` URL of a local port where nothing listens (bound once, then
/// released): a dependency that refuses connections.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    let port = listener.local_addr().expect("reading the port").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Leaves the consumer's group and drops it on a thread of its own:
/// librdkafka's destroy can hang after a group session, and must block
/// neither an async thread nor the test. Await
/// [`ConsumerClosed::within`] when the next step needs it gone.
#[cfg(feature = "kafka")]
pub fn close_consumer<C, K>(consumer: K) -> ConsumerClosed
where
    C: rdkafka::consumer::ConsumerContext + 'static,
    K: rdkafka::consumer::Consumer<C> + Send + 'static,
{
    consumer.unsubscribe();
    let (dropped, closed) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        drop(consumer);
        let _ = dropped.send(());
    });
    ConsumerClosed(closed)
}

/// A consumer being dropped by [`close_consumer`].
#[cfg(feature = "kafka")]
#[derive(Debug)]
pub struct ConsumerClosed(tokio::sync::oneshot::Receiver<()>);

#[cfg(feature = "kafka")]
impl ConsumerClosed {
    /// Waits until the consumer is dropped, at most `timeout`; true if it was.
    pub async fn within(self, timeout: std::time::Duration) -> bool {
        matches!(tokio::time::timeout(timeout, self.0).await, Ok(Ok(())))
    }
}

/// `url` with its database name replaced by `name` (query kept).
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |scheme| scheme + 3);
    let server = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5", "t1"),
            "postgres://u@h:5/t1"
        );
    }

    #[test]
    fn unique_names_differ() {
        assert_ne!(unique_name("orders"), unique_name("orders"));
        assert!(unique_name("orders").starts_with("orders-"));
    }
}
