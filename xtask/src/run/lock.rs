//! One `cargo xtask run` per data folder: a second one gets a clear message
//! instead of a half-started system.

use std::{
    fs::{self, File, OpenOptions},
    io::{Read, Seek, Write},
    os::fd::AsRawFd,
    path::Path,
};

use anyhow::{Context, bail};

const LOCK_FILE: &str = "run.lock";

/// Held while the system runs; released when dropped (or the process dies).
pub struct RunLock {
    _file: File,
}

impl RunLock {
    pub fn acquire(data: &Path) -> anyhow::Result<Self> {
        let path = data.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // SAFETY: flock takes a file descriptor we own, open for the call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            bail!(
                "another `cargo xtask run` (pid {}) is using {}: stop it first (Ctrl-C), or give \
                 this one another ORDERFLOW_DATA_DIR and other ports",
                holder.trim(),
                data.display()
            );
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "{}", std::process::id())?;
        Ok(Self { _file: file })
    }
}

/// `--fresh`: removes everything in `data` but the lock.
pub fn clear(data: &Path) -> anyhow::Result<()> {
    eprintln!("xtask: --fresh: removing everything in {}", data.display());
    for entry in fs::read_dir(data).with_context(|| format!("reading {}", data.display()))? {
        let path = entry?.path();
        if path.file_name().is_some_and(|name| name == LOCK_FILE) {
            continue;
        }
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}
