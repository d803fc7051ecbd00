//! Child processes that die with their parent and can be stopped gracefully.

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    os::unix::process::CommandExt,
    process::{Child, Command},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

/// A port on 127.0.0.1 that was free a moment ago, for a server started
/// later. It is drawn at random from below the kernel's ephemeral range: a
/// port the kernel hands out (`bind` to port 0, or the local end of any
/// outgoing connection) could be taken again by a client before our server
/// binds it, which made parallel tests collide.
pub fn free_port() -> anyhow::Result<u16> {
    use std::hash::{BuildHasher, RandomState};
    let (ephemeral_start, _) = ephemeral_range();
    let low = 10_000u16;
    let span = ephemeral_start.saturating_sub(low);
    if span >= 1_000 {
        let random = RandomState::new();
        for attempt in 0u64..200 {
            let draw = random.hash_one((std::process::id(), attempt));
            let port = low + u16::try_from(draw % u64::from(span)).unwrap_or(0);
            if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return Ok(port);
            }
        }
    }
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding a probe port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// The kernel's ephemeral port range (Linux's default when unreadable).
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut bounds = text.split_whitespace().map(str::parse::<u16>);
            Some((bounds.next()?.ok()?, bounds.next()?.ok()?))
        })
        .unwrap_or((32_768, 60_999))
}

/// Fails when something already listens on `port`: a server of ours that
/// then failed to bind would look ready, answered by the other program.
pub(crate) fn ensure_free(port: u16, what: &str) -> anyhow::Result<()> {
    if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
        bail!("port {port} on 127.0.0.1, wanted for {what}, is already taken by another program");
    }
    Ok(())
}

/// The user a server runs as: PostgreSQL refuses to run as root, so when we
/// are root the servers run as the `postgres` user (or `nobody`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunAs {
    pub(crate) uid: libc::uid_t,
    pub(crate) gid: libc::gid_t,
}

impl RunAs {
    /// `None` when we are not root: then the servers run as we do.
    pub(crate) fn unprivileged() -> Option<Self> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return None;
        }
        ["postgres", "nobody"].iter().find_map(|name| {
            let name = std::ffi::CString::new(*name).ok()?;
            // SAFETY: getpwnam takes a NUL-terminated string; we copy the
            // fields out before any other call can reuse its buffer.
            let entry = unsafe { libc::getpwnam(name.as_ptr()) };
            if entry.is_null() {
                return None;
            }
            // SAFETY: checked non-null above.
            let entry = unsafe { &*entry };
            Some(Self {
                uid: entry.pw_uid,
                gid: entry.pw_gid,
            })
        })
    }

    /// Gives `path` (a folder we created) to this user.
    pub(crate) fn chown(&self, path: &std::path::Path) -> anyhow::Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("giving {} to uid {}", path.display(), self.uid))
    }
}

/// Prepares `command` (a server of ours) to run in its own process group and
/// to receive SIGTERM when the thread that started it dies.
pub fn supervise(command: &mut Command) {
    supervised(command, None);
}

/// Prepares `command` to run in its own process group, as `run_as` when
/// given, and to receive SIGTERM when the thread that started it dies.
pub(crate) fn supervised(command: &mut Command, run_as: Option<RunAs>) {
    // SAFETY: the closure only makes async-signal-safe system calls.
    unsafe {
        command.pre_exec(move || {
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(user) = run_as
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(user.gid) != 0
                    || libc::setuid(user.uid) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            // After setuid: a change of credentials clears the death signal.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Sends `signal` to `child`, waits up to `grace` for it to exit, then kills it.
pub fn stop(child: &mut Child, signal: libc::c_int, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until `ready` says yes, the child dies, or `timeout` passes.
pub(crate) fn wait_ready(
    what: &str,
    child: &mut Child,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited during start-up with {status}");
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what} was not ready within {timeout:?}");
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// True when something accepts TCP connections at `addr`.
pub(crate) fn accepts(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_bindable_and_outside_the_kernels_ephemeral_range() {
        let (start, end) = ephemeral_range();
        for _ in 0..20 {
            let port = free_port().unwrap();
            assert!(
                !(start..=end).contains(&port),
                "{port} is in the ephemeral range {start}-{end}"
            );
            TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("the port is free");
        }
    }
}
