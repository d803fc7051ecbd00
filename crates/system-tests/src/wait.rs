//! Waiting for a condition with a deadline, never a bare sleep.

use sea_orm::DatabaseConnection;
use std::{
    fmt::Debug,
    future::Future,
    time::{Duration, Instant},
};

/// Polls `check` until it returns `Ok`, or panics after `timeout` with the
/// last `Err` it returned (what was seen).
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(seen) if Instant::now() > deadline => {
                panic!("{what}: not true within {timeout:?}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Polls `value` until `done(value)`, or panics after `timeout` showing it.
pub async fn until<T: Debug, F, Fut>(
    what: &str,
    timeout: Duration,
    mut value: F,
    done: impl Fn(&T) -> bool,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    eventually(what, timeout, || {
        let next = value();
        let done = &done;
        async move {
            let seen = next.await;
            if done(&seen) {
                Ok(seen)
            } else {
                Err(format!("{seen:?}"))
            }
        }
    })
    .await
}

/// Waits until the inbox on `db` holds event `event_id` (its consumer has
/// committed it), or panics after 30 s with the count it last saw.
pub async fn until_in_inbox(db: &DatabaseConnection, event_id: &str) {
    let sql = format!("SELECT count(*) AS n FROM inbox WHERE event_id = '{event_id}'");
    until(
        &format!("event {event_id} is in the inbox"),
        Duration::from_secs(30),
        || orderflow_devstack::count(db, &sql),
        |rows| *rows == 1,
    )
    .await;
}

/// Waits until the gRPC server at `addr` reports SERVING on
/// `grpc.health.v1`, or panics after 60 s with what it last answered.
pub async fn until_serving(addr: std::net::SocketAddr) {
    use tonic_health::pb::health_check_response::ServingStatus;
    let _serving = until(
        &format!("the service at {addr} reports SERVING"),
        Duration::from_secs(60),
        || crate::services::health_status(addr),
        |status| *status == Ok(ServingStatus::Serving),
    )
    .await;
}
