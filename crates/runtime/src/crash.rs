//! Crash points: named places in the code where a test can inject a fault.
//!
//! They are off unless armed, in tests through `Config`, or in a running
//! binary through `CRASH_POINTS` (e.g. `payments.after_inbox_insert:once`),
//! which is for fault tests only.
//!
//! A point armed as `:once` or `:N` fails that many times and then lets work
//! through, like a crash followed by a restart; `:always` keeps failing;
//! `:abort` kills the process on the spot, like `kill -9`.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

/// Returned from an armed point that fails (the caller's transaction is then
/// rolled back, as a crash would leave it).
#[derive(Debug, thiserror::Error)]
#[error("crash point {0} fired")]
pub struct Crash(pub String);

#[derive(Debug)]
enum Mode {
    Fail(AtomicU64),
    Abort,
}

#[derive(Debug)]
struct Point {
    name: String,
    mode: Mode,
    fired: AtomicU64,
}

/// The armed crash points of one process (none by default).
#[derive(Clone, Debug, Default)]
pub struct CrashPoints(Arc<Vec<Point>>);

impl CrashPoints {
    /// Parses `name[:once|:N|:always|:abort],…`.
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let points = spec
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                let (name, mode) = item.split_once(':').unwrap_or((item, "once"));
                let mode = match mode {
                    "once" => Mode::Fail(AtomicU64::new(1)),
                    "always" => Mode::Fail(AtomicU64::new(u64::MAX)),
                    "abort" => Mode::Abort,
                    count => Mode::Fail(AtomicU64::new(count.parse().map_err(|_| {
                        anyhow::anyhow!(
                            "crash point {item:?}: expected once, always, abort or a count"
                        )
                    })?)),
                };
                Ok(Point {
                    name: name.to_owned(),
                    mode,
                    fired: AtomicU64::new(0),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self(Arc::new(points)))
    }

    /// Passes unless `name` is armed; then fails (or aborts the process).
    pub fn hit(&self, name: &str) -> Result<(), Crash> {
        let Some(point) = self.0.iter().find(|point| point.name == name) else {
            return Ok(());
        };
        match &point.mode {
            Mode::Abort => {
                tracing::error!(point = name, "crash point: aborting the process");
                std::process::abort();
            }
            Mode::Fail(remaining) => {
                let fired = remaining
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                        left.checked_sub(1)
                    })
                    .is_ok();
                if fired {
                    point.fired.fetch_add(1, Ordering::SeqCst);
                    tracing::warn!(point = name, "crash point fired");
                    Err(Crash(name.to_owned()))
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl CrashPoints {
    /// How often `name` has failed so far.
    pub fn fired(&self, name: &str) -> u64 {
        self.0
            .iter()
            .find(|point| point.name == name)
            .map_or(0, |point| point.fired.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unarmed_point_passes() {
        let points = CrashPoints::default();
        assert!(points.hit("anything").is_ok());
    }

    #[test]
    fn a_point_armed_once_fails_once_then_passes() {
        let points = CrashPoints::parse("a.b:once, c.d:2").unwrap();
        assert!(points.hit("a.b").is_err());
        assert!(points.hit("a.b").is_ok());
        assert_eq!(points.fired("a.b"), 1);
        assert!(points.hit("c.d").is_err());
        assert!(points.hit("c.d").is_err());
        assert!(points.hit("c.d").is_ok());
        assert!(points.hit("other").is_ok());
    }

    #[test]
    fn a_bad_mode_is_rejected() {
        assert!(CrashPoints::parse("a.b:sometimes").is_err());
    }
}
