//! `cargo xtask test` (and `bench`): installs what is missing (Kafka's jars,
//! Jaeger, the Compose schema, grpcurl, cargo-nextest), starts a throwaway PostgreSQL cluster,
//! Kafka broker and Jaeger (unless DATABASE_URL / KAFKA_BROKERS / JAEGER_*
//! name existing ones), runs every test with cargo-nextest, and stops
//! everything afterwards, also on failure or Ctrl-C.

use std::{
    process::ExitCode,
    thread,
    time::{Duration, Instant},
};

use anyhow::Context;
use orderflow_devstack::{Broker, Jaeger, Postgres, install};

use crate::{frontend, signals, tools};

/// The test build's binaries have crash points (release builds never do).
const CRASH_POINTS: &str = "orders/crash-points,payments/crash-points";

/// What to run once the infrastructure is up.
pub enum Runner {
    /// Every test (cargo-nextest, or cargo test when it cannot be installed).
    Tests,
    /// The benchmarks (`cargo bench`), which print their figures.
    Benches,
}

/// A variable the caller set (and not to an empty value).
fn given(name: &str) -> bool {
    std::env::var(name).is_ok_and(|value| !value.is_empty())
}

pub fn run(runner: Runner, extra_args: Vec<String>) -> anyhow::Result<ExitCode> {
    signals::install();
    let started = Instant::now();
    let own_postgres = !given("DATABASE_URL");
    let own_kafka = !given("KAFKA_BROKERS");
    let own_jaeger = !(given("JAEGER_OTLP_ENDPOINT") && given("JAEGER_QUERY_URL"));

    // Everything that may take minutes comes first, before any server runs.
    if own_kafka {
        install::ensure_kafka()?;
    }
    if own_jaeger {
        install::ensure_jaeger()?;
    }
    let mut env: Vec<(&str, String)> = Vec::new();
    let schema = install::ensure_compose_schema()?;
    env.push((
        "ORDERFLOW_COMPOSE_SCHEMA",
        schema.to_string_lossy().into_owned(),
    ));
    if let Some(scripts) = tools::ensure_grpcurl()? {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let joined =
            std::env::join_paths(std::iter::once(scripts).chain(std::env::split_paths(&path)))?;
        env.push(("PATH", joined.to_string_lossy().into_owned()));
    }
    let nextest = matches!(runner, Runner::Tests) && tools::ensure_nextest();

    let _postgres = if own_postgres {
        let cluster = Postgres::start_temporary().context("starting PostgreSQL")?;
        eprintln!("xtask: PostgreSQL {} (throwaway)", cluster.url());
        env.push(("DATABASE_URL", cluster.url()));
        Some(cluster)
    } else {
        eprintln!("xtask: using the PostgreSQL cluster at DATABASE_URL");
        None
    };
    let _broker = if own_kafka {
        let broker = Broker::start_temporary().context("starting Kafka")?;
        eprintln!(
            "xtask: Kafka {} at {} (throwaway)",
            install::KAFKA_VERSION,
            broker.bootstrap_servers()
        );
        env.push(("KAFKA_BROKERS", broker.bootstrap_servers()));
        Some(broker)
    } else {
        eprintln!("xtask: using the Kafka brokers at KAFKA_BROKERS");
        None
    };
    let _jaeger = if own_jaeger {
        let jaeger = Jaeger::start_temporary().context("starting Jaeger")?;
        eprintln!(
            "xtask: Jaeger {} at {} (throwaway)",
            install::JAEGER_VERSION,
            jaeger.query_url()
        );
        env.push(("JAEGER_OTLP_ENDPOINT", jaeger.otlp_grpc_endpoint()));
        env.push(("JAEGER_QUERY_URL", jaeger.query_url()));
        Some(jaeger)
    } else {
        eprintln!("xtask: using the Jaeger at JAEGER_OTLP_ENDPOINT and JAEGER_QUERY_URL");
        None
    };

    let root = tools::workspace_root();
    if matches!(runner, Runner::Benches) {
        // Benchmarks that run the real services want their release builds.
        tools::run_cargo(
            &root,
            &["build", "--release", "--workspace", "--bins"],
            "building the release binaries",
        )?;
    }
    if matches!(runner, Runner::Tests) {
        // The SPA's own checks, then its build and Chromium for the
        // end-to-end spec, which drives `cargo xtask run --debug`.
        if let Some(folder) = frontend::folder(&root) {
            frontend::install(&folder)?;
            frontend::check(&folder)?;
            frontend::build(&folder)?;
            let chromium = frontend::ensure_chromium()?;
            env.push(("CHROMIUM_PATH", chromium.display().to_string()));
        }
        // The run command's spec and the fault suite start the real binaries
        // (`cargo xtask run --debug`): build every binary as the tests'
        // dependencies did, with the crash points the fault suite arms.
        tools::run_cargo(
            &root,
            &["build", "--workspace", "--bins", "--features", CRASH_POINTS],
            "building the binaries",
        )?;
    }
    let mut command = tools::cargo();
    match runner {
        Runner::Benches => command.arg("bench"),
        Runner::Tests if nextest => command.args(["nextest", "run", "--workspace"]),
        Runner::Tests => command.args(["test", "--workspace"]),
    };
    command.args(extra_args).envs(env);
    let mut child = command.spawn().context("starting the test runner")?;

    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if signals::stop_requested() {
            // A terminal's Ctrl-C already reached the runner; a SIGTERM sent
            // to xtask alone did not, so pass it on.
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
            break child.wait()?;
        }
        thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "xtask: tests finished in {:.0?} ({status}); stopping the infrastructure",
        started.elapsed()
    );
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
