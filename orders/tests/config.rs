//! The orders binary refuses a malformed or unknown value at start, naming
//! the variable, before it binds or connects to anything.

use std::process::Command;

/// Runs the binary with the required variables and `extra`; its exit status
/// and standard error.
fn start_with(extra: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_orders"))
        .env(
            "DATABASE_URL",
            "postgres://orders:s3cret@127.0.0.1:1/orders",
        )
        .env("KAFKA_BROKERS", "127.0.0.1:1")
        .env("GRPC_LISTEN_ADDR", "127.0.0.1:0")
        .env("METRICS_LISTEN_ADDR", "127.0.0.1:0")
        .envs(extra.iter().copied())
        .output()
        .expect("the orders binary runs");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_malformed_number_is_refused_naming_its_variable() {
    let (status, stderr) = start_with(&[("TOPIC_PARTITIONS", "three")]);
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("TOPIC_PARTITIONS"), "{stderr}");
    assert!(stderr.contains("\"three\""), "{stderr}");
}

#[test]
fn an_unknown_log_format_is_refused_naming_its_variable() {
    let (status, stderr) = start_with(&[("LOG_FORMAT", "xml")]);
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("LOG_FORMAT"), "{stderr}");
}

#[test]
fn a_malformed_listen_address_is_refused_naming_its_variable() {
    let (status, stderr) = start_with(&[("GRPC_LISTEN_ADDR", "localhost")]);
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("GRPC_LISTEN_ADDR"), "{stderr}");
}

#[test]
fn a_replication_factor_below_one_is_refused() {
    let (status, stderr) = start_with(&[("TOPIC_REPLICATION_FACTOR", "0")]);
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("TOPIC_REPLICATION_FACTOR"), "{stderr}");
    assert!(
        !stderr.contains("s3cret"),
        "the password never shows: {stderr}"
    );
}
