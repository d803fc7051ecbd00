//! `cargo xtask test` (and `bench`): starts a throwaway PostgreSQL cluster and tansu broker
//! (unless DATABASE_URL / KAFKA_BROKERS name existing ones), runs every test
//! with cargo-nextest (or cargo test), and stops everything afterwards, also on
//! failure or Ctrl-C.

use std::{
    process::{Command, ExitCode},
    thread,
    time::{Duration, Instant},
};

use anyhow::Context;
use orderflow_devstack::{Broker, Postgres};

use crate::{signals, tools};

/// What to run once the infrastructure is up.
pub enum Runner {
    /// Every test (cargo-nextest, or cargo test without it).
    Tests,
    /// The benchmarks (`cargo bench`), which print their figures.
    Benches,
}

pub fn run(runner: Runner, extra_args: Vec<String>) -> anyhow::Result<ExitCode> {
    signals::install();
    let started = Instant::now();
    let mut env: Vec<(&str, String)> = Vec::new();

    let _postgres = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            eprintln!("xtask: using the PostgreSQL cluster at DATABASE_URL");
            None
        }
        _ => {
            let cluster = Postgres::start_temporary().context("starting PostgreSQL")?;
            eprintln!("xtask: PostgreSQL {} (throwaway)", cluster.url());
            env.push(("DATABASE_URL", cluster.url()));
            Some(cluster)
        }
    };
    let _broker = match std::env::var("KAFKA_BROKERS") {
        Ok(brokers) if !brokers.is_empty() => {
            eprintln!("xtask: using the Kafka brokers at KAFKA_BROKERS");
            None
        }
        _ => {
            tools::ensure_tansu()?;
            let broker = Broker::start_temporary().context("starting the tansu broker")?;
            eprintln!(
                "xtask: tansu broker {} (throwaway)",
                broker.bootstrap_servers()
            );
            env.push(("KAFKA_BROKERS", broker.bootstrap_servers()));
            Some(broker)
        }
    };

    if let Some(scripts) = tools::ensure_grpcurl()? {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let joined =
            std::env::join_paths(std::iter::once(scripts).chain(std::env::split_paths(&path)))?;
        env.push(("PATH", joined.to_string_lossy().into_owned()));
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    match runner {
        Runner::Benches => {
            command.arg("bench");
        }
        Runner::Tests if nextest_installed(&cargo) => {
            command.args(["nextest", "run", "--workspace"]);
        }
        Runner::Tests => {
            eprintln!("xtask: cargo-nextest not found, using cargo test");
            command.args(["test", "--workspace"]);
        }
    }
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

fn nextest_installed(cargo: &str) -> bool {
    Command::new(cargo)
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|output| output.status.success())
}
