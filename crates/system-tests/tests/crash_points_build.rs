//! Crash points are compiled only into the tests' binaries: the release
//! builds (`cargo xtask run` builds the three services, `cargo xtask bench`
//! every binary of the workspace) resolve orderflow-runtime without its
//! `crash-points` feature, where `CrashPoints::parse` rejects any spec (a
//! unit test in orderflow-runtime shows that).

use std::process::Command;

/// The features cargo resolves for orderflow-runtime with `args`.
fn runtime_features(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-e",
            "features",
            "-i",
            "orderflow-runtime",
        ])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_release_builds_of_the_services_have_no_crash_points() {
    let run = runtime_features(&["-p", "orders", "-p", "payments", "-p", "gateway"]);
    assert!(run.contains("orderflow-runtime"), "{run}");
    assert!(!run.contains("crash-points"), "{run}");
    let bench = runtime_features(&["--workspace", "-e", "no-dev"]);
    assert!(bench.contains("orderflow-runtime"), "{bench}");
    assert!(!bench.contains("crash-points"), "{bench}");
}

#[test]
fn the_test_build_of_the_services_has_crash_points() {
    let tests = runtime_features(&["-p", "payments", "--features", "payments/crash-points"]);
    assert!(
        tests.contains("orderflow-runtime feature \"crash-points\""),
        "{tests}"
    );
}
