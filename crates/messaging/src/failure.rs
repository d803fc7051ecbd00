//! What kind of failure an error is, decided in one place: the consumer
//! retries an [`Class::Unavailable`] error without end and gives a
//! [`Class::Deterministic`] one a few tries before dead-lettering its record.
//!
//! [`classify`] looks through an error's causes for one it knows (a database
//! error, an I/O error, a crash point, a timeout); the PostgreSQL error codes
//! are sorted by [`sqlstate`], the one table of them.

use orderflow_runtime::crash::Crash;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, sqlx};

/// How a failure may end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A dependency is down, busy or lost the work (connection refused or
    /// lost, pool exhausted, serialization failure, deadlock, shutdown, a
    /// crash point): the same attempt may succeed later. Retried without end.
    Unavailable,
    /// The database (or the code) rejects this work and will again: a
    /// constraint violation, a value it cannot take, a raised exception, a
    /// decoding error. Retried a few times, then dead-lettered.
    Deterministic,
}

/// The class of `error`: the first cause that names one decides; an error
/// none of whose causes is known is [`Class::Deterministic`], so that an
/// unknown failure cannot stall a partition for good.
pub fn classify(error: &anyhow::Error) -> Class {
    error
        .chain()
        .find_map(cause)
        .unwrap_or(Class::Deterministic)
}

/// The class one cause names, if it is of a type that names one.
fn cause(error: &(dyn std::error::Error + 'static)) -> Option<Class> {
    if error.is::<Crash>()
        || error.is::<std::io::Error>()
        || error.is::<tokio::time::error::Elapsed>()
    {
        return Some(Class::Unavailable);
    }
    if let Some(error) = error.downcast_ref::<DbErr>() {
        return Some(database(error));
    }
    if let Some(error) = error.downcast_ref::<sqlx::Error>() {
        return Some(driver(error));
    }
    None
}

/// sea-orm's errors: those of the pool and of the driver by what they say;
/// the rest (a missing record, a type mismatch, …) are the code's.
fn database(error: &DbErr) -> Class {
    match error {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            Class::Unavailable
        }
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => match runtime {
            RuntimeErr::SqlxError(error) => driver(error),
            _ => Class::Deterministic,
        },
        _ => Class::Deterministic,
    }
}

/// sqlx's errors: the server's by their SQLSTATE, the connection's (I/O,
/// TLS, protocol, pool) as unavailable, decoding and the like as the code's.
fn driver(error: &sqlx::Error) -> Class {
    match error {
        sqlx::Error::Database(error) => error
            .code()
            .map_or(Class::Deterministic, |code| sqlstate(&code)),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => Class::Unavailable,
        _ => Class::Deterministic,
    }
}

/// The class of a PostgreSQL error code (SQLSTATE, see the appendix "PostgreSQL
/// Error Codes"). Unavailable: what a later attempt of the same work can
/// get past. Everything else the server rejects is deterministic: class 22
/// (data exception), 23 (integrity constraint violation), 42 (syntax or
/// access rule), P0 (raised in PL/pgSQL), XX (internal), ….
pub(crate) fn sqlstate(code: &str) -> Class {
    match code {
        // serialization_failure, deadlock_detected, statement_completion_unknown
        "40001" | "40P01" | "40003" => Class::Unavailable,
        // lock_not_available, object_in_use
        "55P03" | "55006" => Class::Unavailable,
        _ => match code.get(..2) {
            // 08 connection exception; 53 insufficient resources (too many
            // connections, out of memory, disk full); 57 operator
            // intervention (admin_shutdown, crash_shutdown,
            // cannot_connect_now, query_canceled); 58 system error (I/O)
            Some("08" | "53" | "57" | "58") => Class::Unavailable,
            _ => Class::Deterministic,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use anyhow::Context;

    use super::*;

    #[test]
    fn connection_load_and_concurrency_codes_are_unavailable() {
        for code in [
            "08000", "08003", "08006", "08001", "08004", // connection exceptions
            "40001", "40P01", // serialization failure, deadlock
            "57P01", "57P02", "57P03", "57014", // shutdowns, cannot connect now, canceled
            "53300", "53200", "53100", // too many connections, out of memory, disk full
            "55P03", "58030",
        ] {
            assert_eq!(sqlstate(code), Class::Unavailable, "{code}");
        }
    }

    #[test]
    fn what_the_database_rejects_is_deterministic() {
        for code in [
            "23514", "23505", "23503", "23502", // check, unique, foreign key, not null
            "22003", "22P02", "22001", // out of range, bad text, too long
            "P0001", "42P01", "42703", "XX000", "40002", "25P02",
        ] {
            assert_eq!(sqlstate(code), Class::Deterministic, "{code}");
        }
    }

    fn sqlx_error(error: sqlx::Error) -> anyhow::Error {
        anyhow::Error::new(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error))))
    }

    #[test]
    fn a_lost_connection_or_an_exhausted_pool_is_unavailable_under_any_context() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let errors = [
            sqlx_error(sqlx::Error::Io(refused)),
            sqlx_error(sqlx::Error::PoolTimedOut),
            sqlx_error(sqlx::Error::Protocol("unexpected end".into())),
            anyhow::Error::new(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
            anyhow::Error::new(Crash("payments.before_result".into())),
        ];
        for error in errors {
            let error = error.context("debiting").context("applying the event");
            assert_eq!(classify(&error), Class::Unavailable, "{error:#}");
        }
    }

    #[test]
    fn decoding_errors_missing_records_and_unknown_errors_are_deterministic() {
        let errors = [
            sqlx_error(sqlx::Error::RowNotFound),
            sqlx_error(sqlx::Error::ColumnNotFound("balance".into())),
            anyhow::Error::new(DbErr::RecordNotFound("order".into())),
            anyhow::Error::new(DbErr::Type("i64".into())),
            anyhow::anyhow!("a rule the code enforces"),
        ];
        for error in errors {
            assert_eq!(classify(&error), Class::Deterministic, "{error:#}");
        }
    }

    #[test]
    fn the_first_known_cause_decides() {
        let error: anyhow::Result<()> = Err(anyhow::Error::new(DbErr::ConnectionAcquire(
            ConnAcquireErr::ConnectionClosed,
        )));
        let error = error
            .context("recording the event in the inbox")
            .unwrap_err();
        assert_eq!(classify(&error), Class::Unavailable);
    }
}
