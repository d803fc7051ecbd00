//! One shutdown signal for a whole process.

use tokio_util::sync::CancellationToken;

/// A token cancelled on the first Ctrl-C or SIGTERM. Every task (servers,
/// relays, consumers) watches it, stops taking work, and finishes what it has.
pub fn signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut stream) => {
                    stream.recv().await;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
            () = terminate => tracing::info!("SIGTERM received, shutting down"),
        }
        cancel.cancel();
    });
    token
}

/// How long a service may take to stop after the shutdown signal: less than
/// the 10 s an orchestrator (Compose, Kubernetes' default is 30 s) waits
/// before it kills.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(8);

/// Runs `work` to its end; once `token` is cancelled, `work` has `grace` to
/// finish what it holds. A stop that cannot finish (closing a Kafka consumer
/// waits for a broker that is gone) then ends in an error instead of a
/// process that never exits.
pub async fn within_grace<F>(
    work: F,
    token: &CancellationToken,
    grace: std::time::Duration,
) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut work = std::pin::pin!(work);
    tokio::select! {
        result = &mut work => return result,
        () = token.cancelled() => {}
    }
    tokio::time::timeout(grace, work).await.unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "did not stop within {grace:?} of the shutdown signal (a dependency gone?); \
             leaving what was not finished to redelivery"
        ))
    })
}

/// Runs a service's `work` until the shutdown signal and [`GRACE`] after
/// it, and says how it ended. A failure (or a stop that did not finish)
/// exits the process at once, with `exporters` flushed first: returning
/// would wait for blocking tasks that may never end (a consumer closing
/// against a broker that is gone).
pub async fn run_service<F, Fut>(
    name: &str,
    exporters: crate::telemetry::Guard,
    work: F,
) -> anyhow::Result<()>
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let stop = signal();
    match within_grace(work(stop.clone()), &stop, GRACE).await {
        Ok(()) => {
            tracing::info!("{name} service stopped");
            Ok(())
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "{name} service failed");
            drop(exporters);
            std::process::exit(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn work_that_ends_by_itself_is_waited_for() {
        let token = CancellationToken::new();
        let result = within_grace(async { Ok(()) }, &token, Duration::from_millis(10)).await;
        assert!(result.is_ok());
    }

    #[tokio::test]
    async fn a_stop_that_hangs_is_given_up_after_the_grace() {
        let token = CancellationToken::new();
        token.cancel();
        let hangs = std::future::pending::<anyhow::Result<()>>();
        let error = within_grace(hangs, &token, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(
            format!("{error}").contains("did not stop within 50ms"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_stop_that_finishes_within_the_grace_is_clean() {
        let token = CancellationToken::new();
        token.cancel();
        let slow = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(())
        };
        assert!(
            within_grace(slow, &token, Duration::from_secs(10))
                .await
                .is_ok()
        );
    }
}
