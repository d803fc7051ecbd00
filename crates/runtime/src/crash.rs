//! Crash points: named places in the code where a test can inject a fault.
//!
//! They are off unless armed, in tests through `Config`, or in a running
//! binary through `CRASH_POINTS` (e.g. `payments.after_inbox_insert:once`),
//! which is for fault tests only.
//!
//! A point armed as `:once` or `:N` fails that many times and then lets work
//! through, like a crash followed by a restart; `:always` keeps failing;
//! `:abort` kills the process on the spot, like `kill -9`.
//!
//! They exist only in builds with the `crash-points` feature (the tests'
//! build: `cargo xtask test` builds the binaries with it). Without it,
//! [`CrashPoints::parse`] rejects any spec and [`CrashPoints::hit`] is empty,
//! so no release binary can be made to crash on purpose.
//!
//! Places in shared code that holds no config (the relay, the consumer) hit
//! the process's own set, which `main` [`install`]s from its config.

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicU64, Ordering},
};

/// Whether this build has crash points (the `crash-points` feature).
pub(crate) const COMPILED: bool = cfg!(feature = "crash-points");

/// The process's crash points, set once by `main`.
static INSTALLED: OnceLock<CrashPoints> = OnceLock::new();

/// Makes `points` the process's own, for [`hit`]; a second call is ignored.
pub fn install(points: CrashPoints) {
    let _ = INSTALLED.set(points);
}

/// [`CrashPoints::hit`] on the process's installed points (none by default).
#[inline(always)]
pub fn hit(name: &str) -> Result<(), Crash> {
    #[cfg(feature = "crash-points")]
    if let Some(points) = INSTALLED.get() {
        return points.hit(name);
    }
    let _ = name;
    Ok(())
}

/// Returned from an armed point that fails (the caller's transaction is then
/// rolled back, as a crash would leave it).
#[derive(Debug, thiserror::Error)]
#[error("crash point {0} fired")]
pub struct Crash(pub String);

#[derive(Debug)]
#[cfg_attr(not(feature = "crash-points"), allow(dead_code))]
enum Mode {
    Fail(AtomicU64),
    Abort,
}

#[derive(Debug)]
#[cfg_attr(not(feature = "crash-points"), allow(dead_code))]
struct Point {
    name: String,
    mode: Mode,
    fired: AtomicU64,
}

/// The armed crash points of one process (none by default).
#[derive(Clone, Debug, Default)]
pub struct CrashPoints(Arc<Vec<Point>>);

impl CrashPoints {
    /// Parses `name[:once|:N|:always|:abort],…`; a build without the
    /// `crash-points` feature accepts only an empty spec.
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        Self::parse_in(spec, COMPILED)
    }

    /// [`CrashPoints::parse`] as a build with (`compiled`) or without crash
    /// points would do it.
    fn parse_in(spec: &str, compiled: bool) -> anyhow::Result<Self> {
        if !compiled && !spec.trim().is_empty() {
            anyhow::bail!(
                "CRASH_POINTS={spec:?}, but this build has no crash points: they are for fault \
                 tests only, in binaries built with the `crash-points` feature (as `cargo xtask \
                 test` builds them); unset CRASH_POINTS"
            );
        }
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
    /// Without the `crash-points` feature it always passes and costs nothing.
    #[inline(always)]
    pub fn hit(&self, name: &str) -> Result<(), Crash> {
        #[cfg(feature = "crash-points")]
        return self.fire(name);
        #[cfg(not(feature = "crash-points"))]
        {
            let _ = name;
            Ok(())
        }
    }

    #[cfg(feature = "crash-points")]
    fn fire(&self, name: &str) -> Result<(), Crash> {
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

/// `CRASH_POINTS` in a serde config section, parsed as [`CrashPoints::parse`]
/// reads it: `#[serde(deserialize_with = "orderflow_runtime::crash::deserialize")]`.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<CrashPoints, D::Error> {
    let spec = <String as serde::Deserialize>::deserialize(deserializer)?;
    CrashPoints::parse(&spec).map_err(|error| serde::de::Error::custom(format!("{error:#}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_crash_points_rejects_a_spec_and_accepts_none() {
        let error = CrashPoints::parse_in("payments.after_inbox_insert:abort", false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("this build has no crash points"), "{error}");
        assert!(error.contains("unset CRASH_POINTS"), "{error}");
        assert!(CrashPoints::parse_in("", false).is_ok());
        assert!(CrashPoints::parse_in("  ", false).is_ok());
    }

    /// What a release build does (run `cargo test -p orderflow-runtime`
    /// alone, without the feature, to see it).
    #[cfg(not(feature = "crash-points"))]
    #[test]
    fn this_build_has_no_crash_points() {
        assert!(CrashPoints::parse("a.b:abort").is_err());
        assert!(hit("a.b").is_ok());
    }

    #[test]
    fn an_unarmed_point_passes() {
        let points = CrashPoints::default();
        assert!(points.hit("anything").is_ok());
    }

    #[cfg(feature = "crash-points")]
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
        assert!(CrashPoints::parse_in("a.b:sometimes", true).is_err());
    }
}
