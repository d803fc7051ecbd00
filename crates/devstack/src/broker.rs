//! Apache Kafka, one node in KRaft mode (broker and controller in one
//! process), run by Java from the jars [`crate::install`] fetched.

use std::{
    fs,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::{install, process};

/// How long a graceful stop may take before the broker is killed.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// A running broker. Dropping it stops the broker and, for a temporary one,
/// removes its folder.
pub struct Broker {
    child: Option<Child>,
    port: u16,
    controller_port: u16,
    data_dir: PathBuf,
    _temporary: Option<TempDir>,
}

impl Broker {
    /// A broker whose data lives in a temporary folder, on free ports.
    pub fn start_temporary() -> anyhow::Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("orderflow-kafka-")
            .tempdir()
            .context("creating a temporary folder for Kafka")?;
        let mut broker = Self::new(folder.path(), process::free_port()?, process::free_port()?)?;
        broker._temporary = Some(folder);
        broker.start()?;
        Ok(broker)
    }

    /// A broker keeping its data in `data_dir` (formatted on first use), with
    /// clients on `port` and its controller on `controller_port`. A restart
    /// on the same data needs the same controller port: the quorum records it.
    pub fn start_persistent(
        data_dir: &Path,
        port: u16,
        controller_port: u16,
    ) -> anyhow::Result<Self> {
        let mut broker = Self::new(data_dir, port, controller_port)?;
        broker.start()?;
        Ok(broker)
    }

    fn new(data_dir: &Path, port: u16, controller_port: u16) -> anyhow::Result<Self> {
        fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        Ok(Self {
            child: None,
            port,
            controller_port,
            data_dir: data_dir.to_owned(),
            _temporary: None,
        })
    }

    /// `host:port` for the Kafka clients' `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The address the broker listens on for clients.
    pub(crate) fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// The broker's log file.
    pub(crate) fn log_path(&self) -> PathBuf {
        self.data_dir.join("server.log")
    }

    /// Stops the broker gracefully (SIGTERM: a controlled shutdown); its data
    /// stays until the folder is removed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            process::stop(&mut child, libc::SIGTERM, STOP_GRACE);
        }
    }

    /// Kills the broker (`kill -9`): nothing is flushed or handed over.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            process::stop(&mut child, libc::SIGKILL, Duration::from_secs(5));
        }
    }

    /// Freezes the broker (SIGSTOP): its connections stay open, but it
    /// answers nothing until [`Broker::thaw`].
    pub fn freeze(&self) -> anyhow::Result<()> {
        self.signal(libc::SIGSTOP)
    }

    /// Lets a frozen broker run again (SIGCONT).
    pub fn thaw(&self) -> anyhow::Result<()> {
        self.signal(libc::SIGCONT)
    }

    /// Starts a stopped or killed broker again on the same ports and data.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.start()
    }

    fn signal(&self, signal: libc::c_int) -> anyhow::Result<()> {
        let child = self.child.as_ref().context("the broker is not running")?;
        // SAFETY: kill has no memory-safety preconditions.
        if unsafe { libc::kill(child.id() as libc::pid_t, signal) } != 0 {
            return Err(std::io::Error::last_os_error()).context("signalling the broker");
        }
        Ok(())
    }

    fn start(&mut self) -> anyhow::Result<()> {
        process::ensure_free(self.port, "Kafka's clients")?;
        process::ensure_free(self.controller_port, "Kafka's controller")?;
        let libs = install::kafka_libs()?;
        let classpath = format!("{}/*", libs.display());
        let config = self.write_config()?;
        if !self.data_dir.join("logs").join("meta.properties").exists() {
            self.format(&classpath, &config)?;
        }
        let out = self.output_file()?;
        let mut command = Command::new(java());
        command
            .args(JVM_OPTIONS)
            .arg(self.log4j_option())
            .args(["-cp", &classpath, "kafka.Kafka"])
            .arg(&config)
            .current_dir(&self.data_dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        process::supervised(&mut command, None);
        let mut child = command
            .spawn()
            .context("starting Kafka (java kafka.Kafka)")?;
        let addr = self.addr();
        let ready = process::wait_ready("kafka", &mut child, Duration::from_secs(90), || {
            process::accepts(addr)
        });
        if let Err(error) = ready {
            process::stop(&mut child, libc::SIGKILL, Duration::from_secs(1));
            return Err(error.context(format!("Kafka's log:\n{}", self.log_tail())));
        }
        self.child = Some(child);
        Ok(())
    }

    /// `kafka-storage format --standalone`: a new cluster whose only voter is
    /// this node.
    fn format(&self, classpath: &str, config: &Path) -> anyhow::Result<()> {
        let cluster_id = kafka_uuid(uuid::Uuid::new_v4());
        let output = Command::new(java())
            .arg("-Xmx256m")
            .arg(self.log4j_option())
            .args(["-cp", classpath, "kafka.tools.StorageTool", "format"])
            .args(["--standalone", "--cluster-id", &cluster_id, "--config"])
            .arg(config)
            .stdin(Stdio::null())
            .output()
            .context("formatting Kafka's storage (java kafka.tools.StorageTool)")?;
        if !output.status.success() {
            bail!(
                "formatting Kafka's storage failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// Writes `server.properties` and the Log4j 2 config; returns the former.
    fn write_config(&self) -> anyhow::Result<PathBuf> {
        let server = self.data_dir.join("server.properties");
        let properties =
            server_properties(self.port, self.controller_port, &self.data_dir.join("logs"));
        fs::write(&server, properties).with_context(|| format!("writing {}", server.display()))?;
        let log4j = self.data_dir.join("log4j2.properties");
        fs::write(&log4j, log4j_properties(&self.log_path()))
            .with_context(|| format!("writing {}", log4j.display()))?;
        Ok(server)
    }

    fn log4j_option(&self) -> String {
        format!(
            "-Dlog4j2.configurationFile={}",
            self.data_dir.join("log4j2.properties").display()
        )
    }

    fn output_file(&self) -> anyhow::Result<fs::File> {
        let path = self.data_dir.join("kafka.out");
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        for path in [self.data_dir.join("kafka.out"), self.log_path()] {
            let content = fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = content.lines().collect();
            let tail = lines[lines.len().saturating_sub(120)..].join("\n");
            text.push_str(&format!("--- {}\n{tail}\n", path.display()));
        }
        text
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // A failing test: what the broker said is part of the report.
            eprintln!("Kafka's log at the failure:\n{}", self.log_tail());
        }
        if self._temporary.is_some() {
            // Its data is about to be removed: nothing to shut down cleanly for.
            self.kill();
        } else {
            self.stop();
        }
    }
}

/// The JVM settings of Kafka's own start script, with a small heap.
const JVM_OPTIONS: &[&str] = &[
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
];

/// `$JAVA_HOME/bin/java`, else `java` from the PATH.
fn java() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin").join("java"))
        .filter(|java| java.is_file())
        .unwrap_or_else(|| PathBuf::from("java"))
}

/// One node that is both broker and controller, with replication factors of
/// one, no delay before the first rebalance, and no topics created by a
/// client's request (the services create theirs at start-up).
fn server_properties(port: u16, controller_port: u16, log_dir: &Path) -> String {
    format!(
        "\
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
log.dirs={log_dir}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
",
        log_dir = log_dir.display()
    )
}

/// Everything Kafka logs goes to `file`, not the terminal.
fn log4j_properties(file: &Path) -> String {
    format!(
        "\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {file}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.state-change.name = state.change.logger
logger.state-change.level = warn
",
        file = file.display()
    )
}

/// A cluster id as Kafka writes one: 16 random bytes in unpadded URL-safe
/// base64 (22 characters).
fn kafka_uuid(id: uuid::Uuid) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let value = u128::from_be_bytes(*id.as_bytes());
    // 128 bits = 21 whole sextets and 2 bits, padded with 4 zero bits.
    let padded = value << 4;
    (0..22)
        .rev()
        .map(|index| ALPHABET[((padded >> (index * 6)) & 0x3f) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_id_is_unpadded_url_safe_base64_of_the_uuid() {
        // Checked against Python's base64.urlsafe_b64encode(bytes).rstrip(b"=").
        let id = uuid::Uuid::from_u128(0x00ff_10ee_fbff_0000_0000_0000_0000_0001);
        assert_eq!(kafka_uuid(id), "AP8Q7vv_AAAAAAAAAAAAAQ");
        assert_eq!(kafka_uuid(uuid::Uuid::new_v4()).len(), 22);
    }
}
