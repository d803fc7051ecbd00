//! The SPA end to end, in Debian's Chromium driven by playwright-core
//! (`frontend/e2e/orders.e2e.mjs`), against the whole local system that
//! `cargo xtask run --debug` starts: the gateway serving the built SPA and
//! the API, orders, payments, PostgreSQL, Kafka and Jaeger.

mod support;

use std::{path::PathBuf, process::Command, time::Duration};

use support::RunCommand;

/// Where the screenshots go: `<target>/e2e-artifacts`.
fn artifacts() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("e2e-artifacts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_pays_for_orders_and_follows_them_in_the_spa() {
    let frontend = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend");
    let script = frontend.join("e2e/orders.e2e.mjs");
    assert!(script.is_file(), "{} is missing", script.display());
    let mut run = RunCommand::start();
    let spa = tokio::task::block_in_place(|| run.wait_for("SPA", Duration::from_secs(240)));

    let artifacts = artifacts();
    let e2e = tokio::task::block_in_place(|| {
        Command::new("node")
            .arg(&script)
            .current_dir(&frontend)
            .env("E2E_BASE_URL", &spa)
            .env("E2E_ARTIFACTS", &artifacts)
            .output()
            .expect("node runs the end-to-end script")
    });
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&e2e.stdout),
        String::from_utf8_lossy(&e2e.stderr)
    );
    println!("{said}");
    assert!(
        e2e.status.success(),
        "the end-to-end script failed:\n{said}"
    );

    let status = tokio::task::block_in_place(|| run.interrupt());
    assert!(status.success(), "cargo xtask run exited with {status}");
    assert_eq!(
        run.leftovers(),
        Vec::<String>::new(),
        "processes left running"
    );
}
