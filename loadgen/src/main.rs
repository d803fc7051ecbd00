//! `loadgen`: drives the REST API as real clients would, reports throughput
//! and latency, and exits non-zero when an invariant does not hold.

use clap::Parser;
use loadgen::{Options, run};

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    let options = Options::parse();
    let report = run(&options).await?;
    println!("{}", report.table());
    if let Some(path) = &options.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
        println!("report written to {}", path.display());
    }
    Ok(if report.invariants.holds() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
