//! The payments binary refuses a malformed value at start, naming the
//! variable, before it binds or connects to anything.

use std::process::Command;

#[test]
fn malformed_crash_points_are_refused_naming_the_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_payments"))
        .env("DATABASE_URL", "postgres://payments@127.0.0.1:1/payments")
        .env("KAFKA_BROKERS", "127.0.0.1:1")
        .env("CRASH_POINTS", "payments.before_result:sometimes")
        .output()
        .expect("the payments binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("CRASH_POINTS"), "{stderr}");
}

#[test]
fn a_missing_database_url_is_refused_naming_the_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_payments"))
        .env_remove("DATABASE_URL")
        .env("KAFKA_BROKERS", "127.0.0.1:1")
        .output()
        .expect("the payments binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("DATABASE_URL must be set"), "{stderr}");
}
