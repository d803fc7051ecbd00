//! Installs what the tests need when it is missing.

use std::process::Command;

use anyhow::{Context, bail};
use orderflow_devstack::{TANSU_VERSION, tansu_binary};

/// The tansu broker, built with `cargo install` (about 15 minutes, once).
pub fn ensure_tansu() -> anyhow::Result<()> {
    if tansu_binary().is_ok() {
        return Ok(());
    }
    eprintln!("xtask: installing tansu {TANSU_VERSION} (cargo install, about 15 minutes once)");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["install", "--locked", &format!("tansu@{TANSU_VERSION}")])
        .args(["--features", "libsql"])
        .status()
        .context("running cargo install tansu")?;
    if !status.success() {
        bail!("cargo install tansu failed with {status}");
    }
    tansu_binary().map(|_| ())
}
