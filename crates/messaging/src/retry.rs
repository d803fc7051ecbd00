//! The one retry policy of messaging, from `backon`: exponential delays with
//! jitter, without end (a caller stops at shutdown, or counts tries itself).

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

/// The first delay.
const MIN_DELAY: Duration = Duration::from_millis(100);
/// Delays double up to this, before jitter.
const MAX_DELAY: Duration = Duration::from_secs(3);

/// 100 ms, 200 ms, 400 ms, … up to 3 s, each plus a random jitter of up to
/// as much again, so that replicas that failed together (a database
/// restart) do not all come back at once. Never runs out.
pub(crate) fn policy() -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(MIN_DELAY)
        .with_max_delay(MAX_DELAY)
        .with_jitter()
        .without_max_times()
}

/// The delays of one retry loop, from [`delays`].
pub type Delays = ExponentialBackoff;

/// The delays of [`policy`]; build a new one after a success.
pub fn delays() -> Delays {
    policy().build()
}

/// Whether a wait ran out or shutdown came first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waited {
    Elapsed,
    ShutDown,
}

/// Sleeps for `delay`, unless `shutdown` comes first.
pub async fn sleep(delay: Duration, shutdown: &CancellationToken) -> Waited {
    tokio::select! {
        () = shutdown.cancelled() => Waited::ShutDown,
        () = tokio::time::sleep(delay) => Waited::Elapsed,
    }
}

/// The next delay of `delays`; [`policy`] never runs out, so the cap is
/// only a guard.
pub fn next(delays: &mut Delays) -> Duration {
    delays.next().unwrap_or(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_from_the_minimum_to_the_cap_with_jitter_and_never_run_out() {
        let waits: Vec<Duration> = delays().take(50).collect();
        assert_eq!(waits.len(), 50);
        for (attempt, wait) in waits.iter().enumerate() {
            let base = (MIN_DELAY * 2u32.pow(attempt.min(10) as u32)).min(MAX_DELAY);
            assert!(
                *wait >= base && *wait <= base * 2,
                "attempt {attempt}: {wait:?} is not within [{base:?}, {:?}]",
                base * 2
            );
        }
        let capped = &waits[10..];
        assert!(
            capped.iter().any(|wait| *wait != capped[0]),
            "jitter spreads the capped delays: {capped:?}"
        );
    }
}
