//! Controlling a server ([`crate::Broker`], [`crate::Postgres`]) from async
//! code without blocking an async thread.
//!
//! Their control calls (start, stop, kill, restart, shut down) block for
//! seconds. They cannot simply go to `spawn_blocking`: a server is started
//! with a parent-death signal tied to the *thread* that started it, and
//! tokio ends idle blocking threads after a few seconds, which would stop a
//! server restarted there. So each controlled server gets one thread of its
//! own that starts it, runs every control call, and stops it at the end.

use std::{sync::mpsc, thread};

use anyhow::Context;
use tokio::sync::oneshot;

type Job<T> = Box<dyn FnOnce(&mut T) + Send>;

/// A server owned by a thread of its own; [`Controlled::run`] hands it a
/// control call and awaits the answer.
pub struct Controlled<T: 'static> {
    jobs: Option<mpsc::Sender<Job<T>>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl<T: 'static> Controlled<T> {
    /// Starts the server with `start` on its own thread.
    pub async fn start(
        what: &str,
        start: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<Self> {
        let (jobs, received) = mpsc::channel::<Job<T>>();
        let (started, ready) = oneshot::channel();
        let thread = thread::Builder::new()
            .name(format!("control {what}"))
            .spawn(move || {
                let mut server = match start() {
                    Ok(server) => {
                        let _ = started.send(Ok(()));
                        server
                    }
                    Err(error) => {
                        let _ = started.send(Err(error));
                        return;
                    }
                };
                for job in received {
                    job(&mut server);
                }
                // Dropping the server stops it, on the thread that started it.
                drop(server);
            })
            .with_context(|| format!("starting the control thread of {what}"))?;
        ready
            .await
            .context("the control thread ended during start-up")?
            .with_context(|| format!("starting {what}"))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `control` on the server's thread and returns what it returned.
    pub async fn run<R: Send + 'static>(
        &self,
        control: impl FnOnce(&mut T) -> R + Send + 'static,
    ) -> R {
        let (answer, answered) = oneshot::channel();
        let job: Job<T> = Box::new(move |server| {
            let _ = answer.send(control(server));
        });
        self.jobs
            .as_ref()
            .expect("the server is controlled until dropped")
            .send(job)
            .expect("the control thread runs");
        answered.await.expect("the control call finished")
    }
}

impl<T: 'static> Drop for Controlled<T> {
    /// Stops the server (by dropping it on its thread) and waits for that.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
