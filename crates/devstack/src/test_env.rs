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
