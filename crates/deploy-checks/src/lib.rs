//! Reading `compose.yaml` and Dockerfiles the way the checks in
//! `tests/compose.rs` need them; no Docker engine involved.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `compose.yaml` at the root, as JSON (the form its schema describes).
pub fn compose() -> anyhow::Result<Value> {
    let path = repo_root().join("compose.yaml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_norway::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The sources of each `COPY`/`ADD` that reads the build context (not
/// `--from` another stage or image), in order.
pub fn context_sources(dockerfile: &str) -> Vec<String> {
    let mut sources = Vec::new();
    for instruction in instructions(dockerfile) {
        let mut words = instruction.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        if !keyword.eq_ignore_ascii_case("COPY") && !keyword.eq_ignore_ascii_case("ADD") {
            continue;
        }
        let rest: Vec<&str> = words.collect();
        if rest.iter().any(|word| word.starts_with("--from")) {
            continue;
        }
        let arguments: Vec<String> = rest
            .iter()
            .filter(|word| !word.starts_with("--"))
            .map(|word| (*word).to_owned())
            .collect();
        let arguments = match serde_json::from_str::<Vec<String>>(&arguments.join(" ")) {
            Ok(json_form) => json_form,
            Err(_) => arguments,
        };
        if let Some((_destination, from)) = arguments.split_last() {
            sources.extend(from.iter().cloned());
        }
    }
    sources
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        joined.push(current);
    }
    joined
}

/// One published port of a service.
#[derive(Debug, PartialEq)]
pub struct Published {
    /// The host address it is bound to; `None` is every interface.
    pub(crate) host_ip: Option<String>,
    /// The host port (`None`: one Docker picks).
    pub host_port: Option<String>,
    pub(crate) container_port: String,
}

impl Published {
    /// Reads the short syntax (`[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`)
    /// or the long one (`{target, published, host_ip}`).
    pub fn parse(port: &Value) -> anyhow::Result<Self> {
        match port {
            Value::String(short) => {
                let without_protocol = short.split('/').next().unwrap_or_default();
                let parts: Vec<&str> = without_protocol.rsplitn(3, ':').collect();
                let owned = |part: Option<&&str>| part.map(|text| (*text).to_owned());
                Ok(Self {
                    container_port: parts[0].to_owned(),
                    host_port: owned(parts.get(1)),
                    host_ip: owned(parts.get(2)),
                })
            }
            Value::Number(number) => Ok(Self {
                host_ip: None,
                host_port: None,
                container_port: number.to_string(),
            }),
            Value::Object(long) => Ok(Self {
                host_ip: long
                    .get("host_ip")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                host_port: long.get("published").map(|port| match port {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                }),
                container_port: long
                    .get("target")
                    .map(Value::to_string)
                    .context("a long-syntax port without target")?,
            }),
            other => anyhow::bail!("a port that is neither short nor long syntax: {other}"),
        }
    }

    /// Reachable from this machine only.
    pub fn is_loopback(&self) -> bool {
        matches!(
            self.host_ip.as_deref(),
            Some("127.0.0.1" | "::1" | "[::1]" | "localhost")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_skip_other_stages_and_flags() {
        let dockerfile = "FROM x AS a\n# COPY ignored.txt /\nCOPY --chown=1:1 a.txt \\\n  b/ /dest/\n\
                          COPY --from=a /bin/x /bin/x\nADD [\"c d.txt\", \"/e\"]\nRUN cp x y\n";
        assert_eq!(context_sources(dockerfile), ["a.txt", "b/", "c d.txt"]);
    }

    #[test]
    fn ports_in_short_and_long_syntax() {
        let loopback = Published::parse(&Value::from("127.0.0.1:50051:50051")).unwrap();
        assert!(loopback.is_loopback());
        assert_eq!(loopback.host_port.as_deref(), Some("50051"));
        let public = Published::parse(&Value::from("8080:8080/tcp")).unwrap();
        assert_eq!(public.host_ip, None);
        assert!(
            !Published::parse(&Value::from("50051"))
                .unwrap()
                .is_loopback()
        );
        let long: Value = serde_json::json!({"target": 80, "published": "3000"});
        let long = Published::parse(&long).unwrap();
        assert_eq!(
            (long.container_port.as_str(), long.host_port.as_deref()),
            ("80", Some("3000"))
        );
        assert!(!long.is_loopback());
    }
}
