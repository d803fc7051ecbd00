//! Prometheus text exposition, parsed for tests: each sample's name, labels
//! and value, and sums over the samples a test names.

use std::collections::BTreeMap;

/// One line of the exposition that is not a comment.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sample {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) value: f64,
}

/// A line the parser could not read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}: {text:?}")]
pub struct ParseError {
    pub(crate) line: usize,
    pub(crate) reason: &'static str,
    pub(crate) text: String,
}

/// Every sample of one scrape.
#[derive(Clone, Debug, Default)]
pub struct Scrape {
    pub(crate) samples: Vec<Sample>,
}

impl Scrape {
    /// Parses the text format (version 0.0.4): `# HELP`/`# TYPE` comments,
    /// and `name{label="value",…} value [timestamp]` lines.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let samples = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
            .map(|(index, line)| {
                sample(line).map_err(|reason| ParseError {
                    line: index + 1,
                    reason,
                    text: line.to_owned(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { samples })
    }

    /// Reads and parses `url` (a `/metrics` endpoint).
    pub async fn fetch(url: &str) -> Result<Self, String> {
        let response = reqwest::get(url).await.map_err(|error| error.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let text = response.text().await.map_err(|error| error.to_string())?;
        Self::parse(&text).map_err(|error| error.to_string())
    }

    /// The sum of the samples named `name` that carry every label in
    /// `labels` (others may have more); 0 when none does.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|sample| sample.value).sum()
    }

    /// Whether any sample is named `name` with `labels`.
    pub fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(name, labels).next().is_some()
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> {
        self.samples.iter().filter(move |sample| {
            sample.name == name
                && labels
                    .iter()
                    .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
        })
    }
}

fn sample(line: &str) -> Result<Sample, &'static str> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("no value")?;
    let name = &line[..name_end];
    if name.is_empty() {
        return Err("no metric name");
    }
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(inside) = rest.strip_prefix('{') {
        rest = label_pairs(inside, &mut labels)?;
    }
    let value = rest.split_whitespace().next().ok_or("no value")?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().map_err(|_| "the value is not a number")?,
    };
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Reads `key="value",…}` into `labels`; returns what follows the `}`.
fn label_pairs<'a>(
    mut text: &'a str,
    labels: &mut BTreeMap<String, String>,
) -> Result<&'a str, &'static str> {
    loop {
        text = text.trim_start_matches([',', ' ']);
        if let Some(after) = text.strip_prefix('}') {
            return Ok(after);
        }
        let (key, after) = text.split_once("=\"").ok_or("a label without a value")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().ok_or("an unterminated label value")? {
                (index, '"') => break index,
                (_, '\\') => match chars.next().ok_or("an unterminated escape")?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, other) => value.push(other),
            }
        };
        labels.insert(key.trim().to_owned(), value);
        text = &after[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# HELP orders_created_total Orders placed
# TYPE orders_created_total counter
orders_created_total{otel_scope_name="orderflow"} 3
messaging_consumed_total{topic="a.b",note="say \"hi\"\\n"} 2
messaging_consumed_total{topic="c"} 5 1700000000000
rpc_bucket{le="+Inf"} +Inf
outbox_backlog 0
"#;

    #[test]
    fn samples_are_read_with_their_labels_and_values() {
        let scrape = Scrape::parse(TEXT).unwrap();
        assert_eq!(scrape.samples.len(), 5);
        assert_eq!(scrape.sum("orders_created_total", &[]), 3.0);
        assert_eq!(scrape.sum("messaging_consumed_total", &[]), 7.0);
        assert_eq!(
            scrape.sum("messaging_consumed_total", &[("topic", "a.b")]),
            2.0
        );
        assert_eq!(
            scrape.samples[1].labels["note"], "say \"hi\"\\n",
            "escaped quotes and backslashes"
        );
        assert!(scrape.has("outbox_backlog", &[]));
        assert!(!scrape.has("outbox_backlog", &[("topic", "a.b")]));
        assert_eq!(scrape.sum("rpc_bucket", &[("le", "+Inf")]), f64::INFINITY);
    }

    #[test]
    fn a_broken_line_is_an_error_naming_it() {
        let error = Scrape::parse("ok 1\nbroken{a=\"x} 1\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(Scrape::parse("novalue\n").unwrap_err().reason, "no value");
    }
}
