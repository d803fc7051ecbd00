//! `--profile`: perf samples orders, payments and the gateway (call graphs
//! unwound from DWARF, so the release builds need no frame pointers) while
//! the sustained run goes on; `perf.data` stays in the bench folder, and a
//! flamegraph is drawn there when inferno (`cargo install inferno`) is on
//! the PATH.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
};

use anyhow::{Context, bail};

use super::system::System;

pub struct Profiler {
    perf: Child,
}

/// Starts sampling the three services for `seconds`, after a quarter of it.
pub fn start(system: &System, work: &Path, seconds: u64) -> anyhow::Result<Profiler> {
    let pids: Vec<String> = ["orders", "payments", "gateway"]
        .iter()
        .filter_map(|name| system.pid(name))
        .map(|pid| pid.to_string())
        .collect();
    let delay_ms = seconds * 250;
    let perf = Command::new("perf")
        .args([
            "record",
            "--quiet",
            "-F",
            "199",
            "--call-graph",
            "dwarf,16384",
        ])
        .args(["-D", &delay_ms.to_string()])
        .args(["-p", &pids.join(",")])
        .arg("-o")
        .arg(work.join("perf.data"))
        .args(["--", "sleep", &(seconds + seconds / 4).to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("running perf record")?;
    Ok(Profiler { perf })
}

impl Profiler {
    /// Waits for perf, then draws `flamegraph.svg` next to `perf.data`.
    pub fn finish(mut self, work: &Path) -> anyhow::Result<()> {
        let status = self.perf.wait()?;
        if !status.success() {
            bail!("perf record failed with {status}");
        }
        let has = |program: &str| {
            Command::new(program)
                .arg("--help")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        if !(has("inferno-collapse-perf") && has("inferno-flamegraph")) {
            eprintln!(
                "xtask:   {} written; `cargo install inferno` to draw a flamegraph",
                work.join("perf.data").display()
            );
            return Ok(());
        }
        let script = Command::new("sh")
            .arg("-c")
            .arg(
                "perf script --no-inline -i perf.data 2>/dev/null | inferno-collapse-perf > perf.folded \
                 && inferno-flamegraph --title 'orderflow under sustained load' < perf.folded \
                 > flamegraph.svg",
            )
            .current_dir(work)
            .status()
            .context("running perf script and inferno")?;
        if !script.success() {
            bail!("drawing the flamegraph failed with {script}");
        }
        eprintln!(
            "xtask:   flamegraph at {}",
            work.join("flamegraph.svg").display()
        );
        Ok(())
    }
}
