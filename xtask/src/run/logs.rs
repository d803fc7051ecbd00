//! Each service's output: every line to its log file in `.data/logs/`, and to
//! the terminal prefixed with the service's name (in colour on a terminal).

use std::{
    fs::File,
    io::{BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    thread,
};

use anyhow::Context;

/// Where one service's lines go.
#[derive(Clone)]
pub struct Sink {
    name: &'static str,
    colour: Option<&'static str>,
    file: Arc<Mutex<File>>,
    path: PathBuf,
}

const COLOURS: [&str; 4] = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m"];

impl Sink {
    /// A sink writing to `logs/<name>.log` (truncated), coloured by `index`.
    pub fn create(logs: &Path, name: &'static str, index: usize) -> anyhow::Result<Self> {
        let path = logs.join(format!("{name}.log"));
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        // SAFETY: isatty only reads the file descriptor's state.
        let terminal = unsafe { libc::isatty(libc::STDOUT_FILENO) } == 1;
        Ok(Self {
            name,
            colour: terminal.then(|| COLOURS[index % COLOURS.len()]),
            file: Arc::new(Mutex::new(file)),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies `stream` line by line until it closes, on a thread of its own.
    pub fn follow(&self, stream: impl Read + Send + 'static) {
        let sink = self.clone();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                sink.write(&line);
            }
        });
    }

    fn write(&self, line: &str) {
        if let Ok(mut file) = self.file.lock() {
            let _ = writeln!(file, "{line}");
        }
        let mut out = std::io::stdout().lock();
        let _ = match self.colour {
            Some(colour) => writeln!(out, "{colour}{:>8} |\x1b[0m {line}", self.name),
            None => writeln!(out, "{:>8} | {line}", self.name),
        };
    }

    /// The last `count` lines of the log file.
    pub fn tail(&self, count: usize) -> String {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(count)..].join("\n")
    }
}
