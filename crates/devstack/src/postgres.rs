//! A PostgreSQL cluster run from the machine's server binaries.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::process::{self, RunAs};

const HOW_TO_GET: &str = "PostgreSQL server binaries (initdb, postgres) were not found. \
Install them (Debian/Ubuntu: `apt-get install postgresql-15`), or set PG_BINDIR to the folder \
that holds them, or set DATABASE_URL to an existing cluster.";

/// A running cluster. Dropping it stops the server (fast shutdown) and, for a
/// temporary cluster, removes its folder.
pub struct Postgres {
    child: Option<Child>,
    port: u16,
    data_dir: PathBuf,
    durable: bool,
    _temporary: Option<TempDir>,
}

/// How [`Postgres::shut_down`] stops the server (`pg_ctl stop -m …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// SIGINT: open sessions are rolled back, then a checkpoint.
    Fast,
    /// SIGQUIT: every process quits at once; the next start recovers from the WAL.
    Immediate,
}

impl Postgres {
    /// A throwaway cluster in a temporary folder: no fsync (commits survive the
    /// server's crash, not the machine's), removed on drop.
    pub fn start_temporary() -> anyhow::Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("orderflow-pg-")
            .tempdir()
            .context("creating a temporary folder for PostgreSQL")?;
        if let Some(user) = RunAs::unprivileged() {
            user.chown(folder.path())?;
        }
        let data_dir = folder.path().join("data");
        let mut cluster = Self::start(&data_dir, None, false)?;
        cluster._temporary = Some(folder);
        Ok(cluster)
    }

    /// A cluster kept in `data_dir` (created on first use) on `port`.
    pub fn start_persistent(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        Self::start(data_dir, Some(port), true)
    }

    fn start(data_dir: &Path, port: Option<u16>, durable: bool) -> anyhow::Result<Self> {
        let bin = bindir()?;
        if !data_dir.join("PG_VERSION").exists() {
            init(&bin, data_dir, RunAs::unprivileged())?;
        }
        let port = match port {
            Some(port) => port,
            None => process::free_port()?,
        };
        let mut cluster = Self {
            child: None,
            port,
            data_dir: data_dir.to_owned(),
            durable,
            _temporary: None,
        };
        cluster.launch()?;
        Ok(cluster)
    }

    /// Starts the server on the cluster's port and data, and waits until it
    /// accepts connections.
    fn launch(&mut self) -> anyhow::Result<()> {
        let bin = bindir()?;
        let run_as = RunAs::unprivileged();
        let (data_dir, port, durable) = (self.data_dir.as_path(), self.port, self.durable);
        process::ensure_free(port, "PostgreSQL")?;
        let mut command = Command::new(bin.join("postgres"));
        command
            .arg("-D")
            .arg(data_dir)
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "max_connections=400"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file(data_dir)?);
        if !durable {
            // Nothing is flushed to disk, but each commit is written to the
            // OS before it returns: a process that is killed (`kill -9`, an
            // immediate shutdown) loses no committed transaction; only a
            // crash of the machine would.
            command.args(["-c", "fsync=off", "-c", "full_page_writes=off"]);
        }
        process::supervised(&mut command, run_as);
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", bin.join("postgres").display()))?;
        let isready = bin.join("pg_isready");
        let ready = process::wait_ready("postgres", &mut child, Duration::from_secs(60), || {
            Command::new(&isready)
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|status| status.success())
        });
        if let Err(error) = ready {
            let log = fs::read_to_string(data_dir.join("postgres.log")).unwrap_or_default();
            return Err(error.context(format!("postgres log:\n{log}")));
        }
        self.child = Some(child);
        Ok(())
    }

    /// The URL of the `postgres` database as superuser `postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: open sessions are rolled back).
    pub fn stop(&mut self) {
        self.shut_down(Shutdown::Fast);
    }

    /// Stops the server the way `pg_ctl stop -m fast|immediate` would; its
    /// data stays for [`Postgres::restart`]. Blocks until it has exited: from
    /// async code, call it in `tokio::task::spawn_blocking`.
    pub fn shut_down(&mut self, how: Shutdown) {
        let signal = match how {
            Shutdown::Fast => libc::SIGINT,
            Shutdown::Immediate => libc::SIGQUIT,
        };
        if let Some(mut child) = self.child.take() {
            process::stop(&mut child, signal, Duration::from_secs(30));
        }
    }

    /// Starts a stopped server again on the same port and data (stopping it
    /// first, fast, if it runs). Blocks until it accepts connections.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.launch()
    }

    /// Whether the server process runs (started and not stopped).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn init(bin: &Path, data_dir: &Path, run_as: Option<RunAs>) -> anyhow::Result<()> {
    fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    if let Some(user) = run_as {
        user.chown(data_dir)?;
    }
    let mut command = Command::new(bin.join("initdb"));
    command
        .arg("-D")
        .arg(data_dir)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .args(["--locale=C.UTF-8"])
        .stdin(Stdio::null());
    process::supervised(&mut command, run_as);
    let output = command
        .output()
        .with_context(|| format!("running {}", bin.join("initdb").display()))?;
    if !output.status.success() {
        bail!(
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

fn log_file(data_dir: &Path) -> anyhow::Result<fs::File> {
    let path = data_dir.join("postgres.log");
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    Ok(file)
}

/// The folder with `initdb` and `postgres`: `PG_BINDIR`, then
/// `pg_config --bindir`, then Debian's `/usr/lib/postgresql/<v>/bin`.
fn bindir() -> anyhow::Result<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("PG_BINDIR").map(PathBuf::from) {
        return if has_server(&dir) {
            Ok(dir)
        } else {
            bail!(
                "PG_BINDIR={} has no initdb/postgres. {HOW_TO_GET}",
                dir.display()
            )
        };
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    let debian = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"));
    from_pg_config
        .into_iter()
        .chain(debian)
        .find(|dir| has_server(dir))
        .context(HOW_TO_GET)
}

/// Creates database `name` on the cluster at `admin_url` unless it exists;
/// returns its URL.
pub async fn ensure_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let admin = Database::connect(admin_url)
        .await
        .with_context(|| format!("connecting to {admin_url}"))?;
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await?
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("creating database {name}"))?;
    }
    admin.close().await.ok();
    Ok(crate::test_env::with_database(admin_url, name))
}
