//! Typed reads of environment variables, for the `Config::from_env` of each
//! binary. Nothing else in the code reads the environment.

use std::{str::FromStr, time::Duration};

use anyhow::Context;

/// `name` parsed, or `default` when unset or empty.
pub fn or<T: FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse()
            .with_context(|| format!("{name}={value:?} is not valid")),
        _ => Ok(default),
    }
}

/// `name` as text, or `default`.
pub fn string_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// `name` as text; an error naming the variable when unset.
pub fn required(name: &str) -> anyhow::Result<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .with_context(|| format!("{name} must be set"))
}

/// `name` in milliseconds, or `default`.
pub fn millis_or(name: &str, default: Duration) -> anyhow::Result<Duration> {
    let default_ms = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
    or(name, default_ms).map(Duration::from_millis)
}

/// `name` in seconds, or `default`.
pub fn secs_or(name: &str, default: Duration) -> anyhow::Result<Duration> {
    or(name, default.as_secs()).map(Duration::from_secs)
}

/// Declares the environment variables a binary reads, once: a constant per
/// name (the loader reads through these) and `ALL`, the list that
/// `compose.yaml` is checked against. A name the loader uses is in the list
/// because it exists only as one of these constants.
///
/// ```
/// orderflow_runtime::env_names! {
///     /// What the example reads.
///     pub mod vars { EXAMPLE_ADDR, EXAMPLE_TIMEOUT_MS }
/// }
/// assert_eq!(vars::EXAMPLE_ADDR, "EXAMPLE_ADDR");
/// assert_eq!(vars::ALL, ["EXAMPLE_ADDR", "EXAMPLE_TIMEOUT_MS"]);
/// ```
#[macro_export]
macro_rules! env_names {
    ($(#[$meta:meta])* $vis:vis mod $module:ident { $($name:ident),* $(,)? }) => {
        $(#[$meta])*
        $vis mod $module {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: &str = stringify!($name);
            )*
            /// Every name above, in order.
            pub const ALL: &[&str] = &[$($name),*];
        }
    };
}
