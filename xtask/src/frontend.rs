//! The SPA in `frontend/`: its packages (npm ci, from the lockfile), its
//! checks (types, unit tests, the API client against the gateway's OpenAPI
//! snapshot), its build, and the Chromium its end-to-end spec drives.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

/// `frontend/` when it holds the SPA.
pub fn folder(root: &Path) -> Option<PathBuf> {
    let folder = root.join("frontend");
    folder.join("package.json").is_file().then_some(folder)
}

/// `npm ci` unless `node_modules` is as new as the lockfile.
pub fn install(folder: &Path) -> anyhow::Result<()> {
    let runs = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if !runs("node") || !runs("npm") {
        bail!(
            "Node.js 20 or newer and npm are needed for the SPA in frontend/ \
             (Debian: apt-get install nodejs npm, or https://nodejs.org)"
        );
    }
    let installed = modified(&folder.join("node_modules").join(".package-lock.json"));
    let lockfile = modified(&folder.join("package-lock.json"));
    if matches!((installed, lockfile), (Some(installed), Some(lockfile)) if installed >= lockfile) {
        return Ok(());
    }
    eprintln!("xtask: installing the SPA's packages (npm ci; about a minute the first time)");
    npm(folder, &["ci", "--no-audit", "--no-fund"])
}

/// Type check, unit tests (Vitest), and the generated API client checked
/// against the OpenAPI snapshot.
pub fn check(folder: &Path) -> anyhow::Result<()> {
    eprintln!("xtask: checking the SPA (types, unit tests, API client drift)");
    npm(folder, &["run", "typecheck"])?;
    npm(folder, &["test"])?;
    npm(folder, &["run", "check:api"])
}

/// `npm run build` into `frontend/dist`, which it returns.
pub fn build(folder: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("xtask: building the SPA (npm run build)");
    npm(folder, &["run", "build"])?;
    Ok(folder.join("dist"))
}

/// Debian's Chromium, for the end-to-end spec: installed with apt-get when
/// missing (as root), else a message saying how.
pub fn ensure_chromium() -> anyhow::Result<PathBuf> {
    let path = PathBuf::from("/usr/bin/chromium");
    if path.is_file() {
        return Ok(path);
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!("Chromium is needed for the SPA's end-to-end spec: apt-get install chromium");
    }
    eprintln!("xtask: installing Chromium (apt-get install chromium; a minute or two, once)");
    for args in [
        &["update", "-qq"][..],
        &[
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "chromium",
        ][..],
    ] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed with {status}", args.join(" "));
        }
    }
    Ok(path)
}

fn npm(folder: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("npm")
        .args(args)
        .current_dir(folder)
        .status()
        .with_context(|| format!("running npm {}", args.join(" ")))?;
    if !status.success() {
        bail!("npm {} failed with {status}", args.join(" "));
    }
    Ok(())
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    path.metadata().and_then(|meta| meta.modified()).ok()
}
