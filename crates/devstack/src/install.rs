//! The third-party programs the local path runs, installed once into a cache
//! folder outside the work tree and reused by every later run:
//!
//! - Apache Kafka: its jars, fetched from Maven Central by Maven from the POM
//!   in `crates/devstack/kafka/` (`mvn dependency:copy-dependencies`).
//! - Jaeger: built by Go from the module in `crates/devstack/jaeger/`.
//! - The Compose Specification's JSON schema, which the tests check
//!   `compose.yaml` against: taken from the compose-go module (the one
//!   `docker compose` validates with) that the Go module proxy serves.
//!
//! Each lands in a folder named by its version, written under a temporary
//! name and renamed when complete, so an interrupted install is redone.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use anyhow::{Context, bail};

/// The Apache Kafka version the project runs (and `compose.yaml`'s image).
pub const KAFKA_VERSION: &str = "4.1.1";
/// The Jaeger version the project runs.
pub const JAEGER_VERSION: &str = "v1.76.0";

/// The compose-go module whose `schema/compose-spec.json` `compose.yaml` is
/// validated against.
pub(crate) const COMPOSE_GO_MODULE: &str = "github.com/compose-spec/compose-go/v2";
/// Its version (`go mod download -json …@latest` named it when pinned).
pub(crate) const COMPOSE_GO_VERSION: &str = "v2.16.2";

const KAFKA_POM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/kafka/pom.xml");
const JAEGER_MODULE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/jaeger");

/// `ORDERFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/orderflow`, else
/// `~/.cache/orderflow`.
pub(crate) fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ORDERFLOW_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("orderflow")
}

/// The folder of Kafka's jars, when installed.
pub(crate) fn kafka_libs() -> anyhow::Result<PathBuf> {
    let libs = kafka_libs_dir();
    if libs.is_dir() {
        Ok(libs)
    } else {
        bail!(
            "Apache Kafka {KAFKA_VERSION} is not installed in {}: run `cargo xtask test` or \
             `cargo xtask run` (they install it), or set KAFKA_BROKERS to an existing broker",
            libs.display()
        )
    }
}

/// The Jaeger binary, when installed.
pub(crate) fn jaeger_binary() -> anyhow::Result<PathBuf> {
    let binary = jaeger_binary_path();
    if binary.is_file() {
        Ok(binary)
    } else {
        bail!(
            "Jaeger {JAEGER_VERSION} is not installed at {}: run `cargo xtask test` or \
             `cargo xtask run` (they install it)",
            binary.display()
        )
    }
}

/// Installs Kafka's jars unless they are there; says what it does.
pub fn ensure_kafka() -> anyhow::Result<PathBuf> {
    let libs = kafka_libs_dir();
    if libs.is_dir() {
        return Ok(libs);
    }
    require(
        "java",
        &["-version"],
        "Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)",
    )?;
    require(
        "mvn",
        &["--version"],
        "Maven (Debian: apt-get install maven)",
    )?;
    eprintln!(
        "devstack: installing Apache Kafka {KAFKA_VERSION} (Maven fetches its jars from Maven \
         Central into {}; well under a minute, once)",
        libs.display()
    );
    let started = Instant::now();
    let partial = libs.with_extension("partial");
    remove_if_present(&partial)?;
    let status = Command::new("mvn")
        .args(["-q", "-B", "-f", KAFKA_POM, "dependency:copy-dependencies"])
        .arg(format!("-Dkafka.version={KAFKA_VERSION}"))
        .arg("-DincludeScope=runtime")
        .arg(format!("-DoutputDirectory={}", partial.display()))
        .stdin(Stdio::null())
        .status()
        .context("running mvn")?;
    if !status.success() {
        bail!("mvn could not fetch Apache Kafka {KAFKA_VERSION} ({status}); see its output above");
    }
    fs::rename(&partial, &libs)
        .with_context(|| format!("moving the jars to {}", libs.display()))?;
    eprintln!(
        "devstack: Apache Kafka installed in {:.0?}",
        started.elapsed()
    );
    Ok(libs)
}

/// Builds Jaeger unless it is there; says what it does.
pub fn ensure_jaeger() -> anyhow::Result<PathBuf> {
    let binary = jaeger_binary_path();
    if binary.is_file() {
        return Ok(binary);
    }
    require(
        "go",
        &["version"],
        "Go 1.24 or newer (https://go.dev/doc/install, or Debian's golang)",
    )?;
    eprintln!(
        "devstack: building Jaeger {JAEGER_VERSION} with Go into {} (the Go module proxy \
         serves its source; about 5 to 10 minutes on 2 cores, once)",
        binary.display()
    );
    let started = Instant::now();
    let folder = binary.parent().context("the Jaeger folder")?;
    fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    let partial = binary.with_extension("partial");
    let status = Command::new("go")
        .args(["build", "-trimpath", "-o"])
        .arg(&partial)
        .arg("github.com/jaegertracing/jaeger/cmd/jaeger")
        .current_dir(JAEGER_MODULE)
        // The module's go.mod and go.sum pin every dependency; use this machine's Go.
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .stdin(Stdio::null())
        .status()
        .context("running go build")?;
    if !status.success() {
        bail!("go build of Jaeger {JAEGER_VERSION} failed ({status}); see its output above");
    }
    fs::rename(&partial, &binary)
        .with_context(|| format!("moving Jaeger to {}", binary.display()))?;
    eprintln!("devstack: Jaeger built in {:.0?}", started.elapsed());
    Ok(binary)
}

/// The Compose Specification's JSON schema, fetched once by `go mod download`
/// (which checks the module against the Go checksum database) and copied
/// into the cache.
pub fn ensure_compose_schema() -> anyhow::Result<PathBuf> {
    let schema = cache_dir().join(format!("compose-spec-{COMPOSE_GO_VERSION}.json"));
    if schema.is_file() {
        return Ok(schema);
    }
    require(
        "go",
        &["version"],
        "Go 1.24 or newer (https://go.dev/doc/install, or Debian's golang)",
    )?;
    let module = format!("{COMPOSE_GO_MODULE}@{COMPOSE_GO_VERSION}");
    eprintln!("devstack: fetching the Compose Specification's schema from {module}");
    let output = Command::new("go")
        .args(["mod", "download", "-json", &module])
        // Outside any module, so no go.mod around here is consulted.
        .current_dir(std::env::temp_dir())
        .env("GOTOOLCHAIN", "local")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running go mod download")?;
    if !output.status.success() {
        bail!(
            "go mod download {module} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stdout)
        );
    }
    let info: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("reading go mod download's answer")?;
    let dir = info["Dir"]
        .as_str()
        .with_context(|| format!("go mod download named no Dir for {module}: {info}"))?;
    let source = Path::new(dir).join("schema").join("compose-spec.json");
    let folder = schema.parent().context("the cache folder")?;
    fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    let partial = schema.with_extension("partial");
    fs::copy(&source, &partial).with_context(|| format!("copying {}", source.display()))?;
    fs::rename(&partial, &schema).with_context(|| format!("writing {}", schema.display()))?;
    Ok(schema)
}

fn kafka_libs_dir() -> PathBuf {
    cache_dir()
        .join(format!("kafka-{KAFKA_VERSION}"))
        .join("libs")
}

fn jaeger_binary_path() -> PathBuf {
    cache_dir()
        .join(format!("jaeger-{JAEGER_VERSION}"))
        .join("jaeger")
}

/// Fails with how to get `program` unless it runs.
fn require(program: &str, args: &[&str], how_to_get: &str) -> anyhow::Result<()> {
    let runs = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if runs {
        Ok(())
    } else {
        bail!("`{program}` was not found or does not run; install {how_to_get}")
    }
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}
