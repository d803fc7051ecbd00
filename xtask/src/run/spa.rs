//! The SPA in `frontend/`, built with npm so that the gateway serves it and
//! the API under one origin.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

/// Builds `frontend/` into `frontend/dist` and returns that folder; `None`
/// when there is no `frontend/`.
pub fn build(root: &Path) -> anyhow::Result<Option<PathBuf>> {
    let frontend = root.join("frontend");
    if !frontend.join("package.json").is_file() {
        return Ok(None);
    }
    let runs = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if !runs("node") || !runs("npm") {
        bail!(
            "Node.js 20 or newer and npm are needed to build the SPA in frontend/ \
             (Debian: apt-get install nodejs npm, or https://nodejs.org)"
        );
    }
    let installed = frontend.join("node_modules").join(".package-lock.json");
    let lockfile = frontend.join("package-lock.json");
    let stale = match (modified(&installed), modified(&lockfile)) {
        (Some(installed), Some(lockfile)) => installed < lockfile,
        _ => true,
    };
    if stale {
        eprintln!("xtask: installing the SPA's packages (npm ci; a minute the first time)");
        npm(&frontend, &["ci", "--no-audit", "--no-fund"])?;
    }
    eprintln!("xtask: building the SPA (npm run build)");
    npm(&frontend, &["run", "build"])?;
    Ok(Some(frontend.join("dist")))
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
