//! What every hosted service is configured with, besides its messaging: a
//! section of its configuration, loaded with [`orderflow_runtime::env::load`]
//! (field names are the variables).

use std::{fmt, net::SocketAddr, time::Duration};

use orderflow_runtime::env;

/// Where a service listens, its database, and how often its health is checked.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct HostConfig {
    /// `GRPC_LISTEN_ADDR` (port 0 in tests).
    #[serde(rename = "GRPC_LISTEN_ADDR", deserialize_with = "env::parsed")]
    pub grpc_addr: SocketAddr,
    /// `METRICS_LISTEN_ADDR`: where `GET /metrics` answers (port 0 in tests).
    #[serde(rename = "METRICS_LISTEN_ADDR", deserialize_with = "env::parsed")]
    pub metrics_addr: SocketAddr,
    /// `DATABASE_URL` (required): the service's own database.
    #[serde(rename = "DATABASE_URL")]
    pub database_url: DatabaseUrl,
    /// `DATABASE_MAX_CONNECTIONS` (default 10).
    #[serde(rename = "DATABASE_MAX_CONNECTIONS", deserialize_with = "env::parsed")]
    pub database_max_connections: u32,
    /// `HEALTH_CHECK_INTERVAL_MS` (default 2000): how often the database
    /// and the broker are asked whether they answer.
    #[serde(rename = "HEALTH_CHECK_INTERVAL_MS", deserialize_with = "env::millis")]
    pub health_interval: Duration,
}

impl Default for HostConfig {
    /// The defaults, without a database (which must be set) and on ports
    /// the service chooses ([`HostConfig::from_env`]).
    fn default() -> Self {
        Self {
            grpc_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            metrics_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            database_url: DatabaseUrl::default(),
            database_max_connections: 10,
            health_interval: Duration::from_secs(2),
        }
    }
}

impl HostConfig {
    /// Loads the section from the environment, listening on `port` and
    /// serving metrics on `metrics_port` unless the variables say otherwise.
    pub fn from_env(port: u16, metrics_port: u16) -> anyhow::Result<Self> {
        let grpc = format!("0.0.0.0:{port}");
        let metrics = format!("0.0.0.0:{metrics_port}");
        let config: Self = env::load(&[
            ("GRPC_LISTEN_ADDR", &grpc),
            ("METRICS_LISTEN_ADDR", &metrics),
        ])?;
        config.validate()?;
        Ok(config)
    }

    /// Rejects values the host cannot run with, naming the variable.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.database_url.expose().trim().is_empty(),
            "DATABASE_URL must be set"
        );
        anyhow::ensure!(
            self.database_max_connections >= 1,
            "DATABASE_MAX_CONNECTIONS must be at least 1"
        );
        anyhow::ensure!(
            !self.health_interval.is_zero(),
            "HEALTH_CHECK_INTERVAL_MS must be above 0"
        );
        Ok(())
    }
}

/// A database URL, which may carry a password: `Debug` and `Display` show
/// it with the password replaced by `***`; only [`DatabaseUrl::expose`]
/// gives the URL itself, to connect with.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password, for the connection pool only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without its password: in the authority
    /// (`scheme://user:***@host`) and in a `password=` query parameter.
    fn redacted(&self) -> String {
        let url = &self.0;
        let authority_start = url.find("://").map_or(0, |scheme| scheme + 3);
        let authority_end = url[authority_start..]
            .find(['/', '?'])
            .map_or(url.len(), |end| authority_start + end);
        let mut redacted = match url[authority_start..authority_end].rfind('@') {
            Some(at) => {
                let userinfo = &url[authority_start..authority_start + at];
                let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
                let password = if userinfo.contains(':') { ":***" } else { "" };
                format!(
                    "{}{user}{password}{}",
                    &url[..authority_start],
                    &url[authority_start + at..]
                )
            }
            None => url.clone(),
        };
        if let Some((base, query)) = redacted.clone().split_once('?') {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            redacted = format!("{base}?{}", query.join("&"));
        }
        redacted
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_never_prints_its_password() {
        let url = DatabaseUrl::new("postgres://orders:s3cret@db:5432/orders?sslmode=disable");
        assert_eq!(
            url.to_string(),
            "postgres://orders:***@db:5432/orders?sslmode=disable"
        );
        let config = HostConfig {
            database_url: url.clone(),
            ..HostConfig::default()
        };
        let debug = format!("{config:?} {url:?} {url}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("orders:***@db:5432"), "{debug}");
        assert_eq!(
            url.expose(),
            "postgres://orders:s3cret@db:5432/orders?sslmode=disable"
        );
    }

    #[test]
    fn a_password_in_the_query_is_hidden_too() {
        let url = DatabaseUrl::new("postgres://db/orders?user=orders&password=s3cret&x=1");
        assert_eq!(
            url.to_string(),
            "postgres://db/orders?user=orders&password=***&x=1"
        );
    }

    #[test]
    fn a_url_without_a_password_prints_as_it_is() {
        let url = DatabaseUrl::new("postgres://postgres@127.0.0.1:15432/postgres");
        assert_eq!(url.to_string(), url.expose());
    }
}
