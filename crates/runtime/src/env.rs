//! The environment, read once per binary: [`load`] fills typed, serde
//! sections of a binary's `Config` (orders and payments), and [`names`]
//! lists the variables each reads (what `compose.yaml` is checked against).
//! [`env_names!`](crate::env_names) declares those names. Nothing else in
//! the code reads the environment.

use std::{str::FromStr, time::Duration};

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
                pub(crate) const $name: &str = stringify!($name);
            )*
            /// Every name above, in order.
            pub const ALL: &[&str] = &[$($name),*];
        }
    };
}

/// The one loader of a binary's configuration: each section is a serde
/// struct whose field names are the environment variables it reads (see
/// [`names`]) and whose `Default` is its one set of defaults. Variables
/// that are set and not empty override the defaults (and `overrides`, a
/// binary's own defaults such as its port, between the two); a malformed
/// or unknown value is an error naming the variable.
pub fn load<T: serde::de::DeserializeOwned>(overrides: &[(&str, &str)]) -> anyhow::Result<T> {
    use figment::{Figment, providers::Serialized};
    let mut figment = Figment::new();
    for (name, value) in overrides {
        figment = figment.merge(Serialized::default(name, *value));
    }
    figment
        .merge(Variables(names::<T>()))
        .extract::<T>()
        .map_err(|error| anyhow::anyhow!("{error}"))
}

/// The environment variables section `T` reads: its field names, as serde
/// sees them (so renamed fields give the variable's name).
pub fn names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    let mut fields = FieldNames(None);
    let _ = T::deserialize(&mut fields);
    fields.0.unwrap_or(&[])
}

/// Captures the field list serde hands to `deserialize_struct`.
struct FieldNames(Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for &mut FieldNames {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("only a struct has field names"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(serde::de::Error::custom("names only"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        enum identifier ignored_any
    }
}

/// The named variables that are set and not empty, as text.
struct Variables(&'static [&'static str]);

impl figment::Provider for Variables {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("the environment").interpolater(|_, keys| keys.join("."))
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        let mut dict = figment::value::Dict::new();
        for name in self.0 {
            match std::env::var(name) {
                Ok(value) if !value.trim().is_empty() => {
                    dict.insert((*name).to_owned(), value.trim().to_owned().into());
                }
                Ok(_) | Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(format!("{name} is not valid UTF-8").into());
                }
            }
        }
        Ok(figment::Profile::Default.collect(dict))
    }
}

/// For `#[serde(deserialize_with = "env::parsed")]`: the variable's text
/// parsed with `FromStr`.
pub fn parsed<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    text.parse()
        .map_err(|error| serde::de::Error::custom(format!("{text:?} is not valid: {error}")))
}

/// For `#[serde(deserialize_with = "env::millis")]`: milliseconds.
pub fn millis<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    parsed(deserializer).map(Duration::from_millis)
}

/// For `#[serde(deserialize_with = "env::secs")]`: seconds.
pub fn secs<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    parsed(deserializer).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(default)]
    struct Example {
        #[serde(rename = "ORDERFLOW_TEST_COUNT", deserialize_with = "parsed")]
        count: u32,
        #[serde(rename = "ORDERFLOW_TEST_WAIT_MS", deserialize_with = "millis")]
        wait: Duration,
        #[serde(rename = "ORDERFLOW_TEST_NAME")]
        name: String,
    }

    impl Default for Example {
        fn default() -> Self {
            Self {
                count: 3,
                wait: Duration::from_millis(100),
                name: "default".into(),
            }
        }
    }

    #[test]
    fn a_sections_variables_are_its_field_names() {
        assert_eq!(
            names::<Example>(),
            [
                "ORDERFLOW_TEST_COUNT",
                "ORDERFLOW_TEST_WAIT_MS",
                "ORDERFLOW_TEST_NAME"
            ]
        );
    }

    /// The only test here that sets these variables (tests share the
    /// process's environment).
    #[test]
    fn variables_override_defaults_and_a_malformed_one_is_named() {
        let example: Example = load(&[("ORDERFLOW_TEST_NAME", "override")]).unwrap();
        assert_eq!(
            (example.count, example.wait, example.name.as_str()),
            (3, Duration::from_millis(100), "override")
        );
        // SAFETY: no other test reads or writes these variables.
        unsafe {
            std::env::set_var("ORDERFLOW_TEST_COUNT", " 7 ");
            std::env::set_var("ORDERFLOW_TEST_NAME", "");
            std::env::set_var("ORDERFLOW_TEST_WAIT_MS", "1500");
        }
        let example: Example = load(&[]).unwrap();
        assert_eq!(
            (example.count, example.wait, example.name.as_str()),
            (7, Duration::from_millis(1500), "default"),
            "set values win, an empty one keeps the default"
        );
        unsafe { std::env::set_var("ORDERFLOW_TEST_WAIT_MS", "soon") };
        let error = load::<Example>(&[]).unwrap_err().to_string();
        unsafe {
            std::env::remove_var("ORDERFLOW_TEST_COUNT");
            std::env::remove_var("ORDERFLOW_TEST_NAME");
            std::env::remove_var("ORDERFLOW_TEST_WAIT_MS");
        }
        assert!(error.contains("ORDERFLOW_TEST_WAIT_MS"), "{error}");
        assert!(error.contains("\"soon\""), "{error}");
    }
}
