//! The database ceiling: pgbench running one order's writes
//! (`bench/order.sql`) against copies of the services' own tables, on the
//! PostgreSQL cluster the services use, at a few client counts.

use std::{path::Path, process::Command};

use anyhow::{Context, bail};
use serde::Serialize;

/// One pgbench run.
#[derive(Clone, Debug, Serialize)]
pub struct CeilingRun {
    pub clients: usize,
    /// Outbox rows a relay transaction claims at most (see the script).
    pub relay_batch: usize,
    pub seconds: u64,
    /// Orders (script runs) per second, without the connection time.
    pub orders_per_sec: f64,
    /// Average time of one order's five transactions, in ms.
    pub latency_avg_ms: f64,
    pub failed: u64,
}

/// Copies the schemas of the `orders` and `payments` databases into the
/// schemas `orders` and `payments` of the `ceiling` database (tables,
/// indexes and triggers; no rows) and opens `users` accounts with money.
pub fn prepare(
    orders_url: &str,
    payments_url: &str,
    ceiling_url: &str,
    users: usize,
) -> anyhow::Result<()> {
    for (service, url) in [("orders", orders_url), ("payments", payments_url)] {
        let dump = Command::new("pg_dump")
            .args([
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--dbname",
                url,
            ])
            .output()
            .context("running pg_dump (PostgreSQL's client tools)")?;
        if !dump.status.success() {
            bail!(
                "pg_dump {service}: {}",
                String::from_utf8_lossy(&dump.stderr).trim()
            );
        }
        let schema = String::from_utf8(dump.stdout).context("pg_dump's output")?;
        psql(ceiling_url, &schema)?;
        psql(
            ceiling_url,
            &format!("ALTER SCHEMA public RENAME TO {service}; CREATE SCHEMA public;"),
        )?;
    }
    psql(ceiling_url, UUID_V7)?;
    psql(
        ceiling_url,
        &format!(
            "INSERT INTO payments.accounts (user_id, balance) \
             SELECT 'pgb-' || g, 1000000000000000 FROM generate_series(1, {users}) AS g;"
        ),
    )
}

/// Drops what [`prepare`] made and the script wrote, and has PostgreSQL
/// write its dirty pages now (`CHECKPOINT`): the runs that follow start
/// without the ceiling's rows to vacuum and its pages to flush.
pub fn clear(ceiling_url: &str) -> anyhow::Result<()> {
    psql(
        ceiling_url,
        "DROP SCHEMA orders CASCADE; DROP SCHEMA payments CASCADE; CHECKPOINT;",
    )
}

/// `uuid_v7()` for the script: the services' ids are UUIDv7 (a millisecond
/// timestamp first, so each new id lands at an index's right edge), and
/// PostgreSQL 15 has no such function. A random UUID with its first 48 bits
/// replaced by the time in ms and its version nibble set to 7.
const UUID_V7: &str = "CREATE FUNCTION public.uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$ \
     SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) \
         PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) \
         FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid $$;";

fn psql(url: &str, sql: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut child = Command::new("psql")
        .args([
            "--quiet",
            "--no-psqlrc",
            "-v",
            "ON_ERROR_STOP=1",
            "--dbname",
            url,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running psql")?;
    child
        .stdin
        .take()
        .context("psql's stdin")?
        .write_all(sql.as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Runs the script for `seconds` with `clients` connections.
pub fn pgbench(
    url: &str,
    script: &Path,
    clients: usize,
    relay_batch: usize,
    users: usize,
    seconds: u64,
) -> anyhow::Result<CeilingRun> {
    let output = Command::new("pgbench")
        .args(["--no-vacuum", "--protocol=prepared"])
        .args(["--client", &clients.to_string()])
        .args(["--jobs", &clients.clamp(1, 2).to_string()])
        .args(["--time", &seconds.to_string()])
        .args(["--define", &format!("users={users}")])
        .args(["--define", &format!("relay_batch={relay_batch}")])
        .arg("--file")
        .arg(script)
        .arg(url)
        .output()
        .context("running pgbench")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed ({}): {}\n{text}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let summary =
        Summary::parse(&text).with_context(|| format!("reading pgbench's summary:\n{text}"))?;
    Ok(CeilingRun {
        clients,
        relay_batch,
        seconds,
        orders_per_sec: summary.tps,
        latency_avg_ms: summary.latency_avg_ms,
        failed: summary.failed,
    })
}

/// The figures of pgbench's summary we report.
#[derive(Debug, PartialEq)]
pub struct Summary {
    pub tps: f64,
    pub latency_avg_ms: f64,
    pub failed: u64,
}

impl Summary {
    /// Reads `tps = …`, `latency average = … ms` and `number of failed
    /// transactions: …` from pgbench's output.
    pub fn parse(text: &str) -> Option<Self> {
        let number = |line: &str| -> Option<f64> {
            line.split_whitespace()
                .find_map(|word| word.parse::<f64>().ok())
        };
        let mut tps = None;
        let mut latency = None;
        let mut failed = 0;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("tps =") && line.contains("without initial connection time") {
                tps = number(line.trim_start_matches("tps ="));
            } else if line.starts_with("latency average") {
                latency = number(line.trim_start_matches("latency average ="));
            } else if line.starts_with("number of failed transactions:") {
                failed = number(line.trim_start_matches("number of failed transactions:"))
                    .unwrap_or(0.0) as u64;
            }
        }
        Some(Self {
            tps: tps?,
            latency_avg_ms: latency?,
            failed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_s_summary_gives_the_orders_per_second_its_latency_and_its_failures() {
        let output = "\
transaction type: bench/order.sql
scaling factor: 1
query mode: prepared
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 5123
number of failed transactions: 3 (0.058%)
latency average = 15.617 ms
initial connection time = 12.345 ms
tps = 512.264711 (without initial connection time)
";
        assert_eq!(
            Summary::parse(output),
            Some(Summary {
                tps: 512.264711,
                latency_avg_ms: 15.617,
                failed: 3
            })
        );
        assert_eq!(Summary::parse("pgbench: error: connection refused"), None);
    }
}
