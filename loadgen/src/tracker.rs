//! Follows every accepted order until it settles, through its event stream
//! (`GET /api/orders/{id}/events`), and keeps what the report needs.
//!
//! One stream per pending order costs the system one read of the order (the
//! state now; changes come with their notification) and no work while it
//! waits, where polling every pending order every few milliseconds was load
//! of its own that grew with the backlog. At most [`MAX_WATCHES`] streams are open at
//! once; further orders wait for one to end. A stream that fails or ends
//! before a final state is counted as an error and the order is polled
//! instead.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::{
    sync::{Semaphore, mpsc, oneshot},
    task::JoinSet,
};

use crate::{Api, CallError, api::OrderState};

/// Event streams open at once.
const MAX_WATCHES: usize = 512;
/// How often an order whose stream failed is asked for its state.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// An accepted order.
#[derive(Clone, Debug)]
pub struct Placed {
    pub id: String,
    pub user: String,
    /// Whether its user has money.
    pub paying: bool,
    pub accepted_at: Instant,
    pub created_in: Duration,
}

/// An order seen FINISHED or CANCELLED.
#[derive(Clone, Debug)]
pub struct Settled {
    pub placed: Placed,
    pub status: String,
    pub reason: Option<String>,
    /// From its 202 to the first answer that showed it settled.
    pub latency: Duration,
}

impl Settled {
    pub fn as_expected(&self) -> bool {
        if self.placed.paying {
            self.status == "FINISHED"
        } else {
            self.status == "CANCELLED" && self.reason.as_deref() == Some("INSUFFICIENT_FUNDS")
        }
    }
}

#[derive(Default)]
struct State {
    pending: HashMap<String, Placed>,
    settled: Vec<Settled>,
    create_latencies: Vec<Duration>,
    /// From each order's 202 until it was followed (a slot was free).
    follow_waits: Vec<Duration>,
    errors: BTreeMap<String, u64>,
    /// Clients waiting for their order to settle (`--wait-settled`).
    waiters: HashMap<String, oneshot::Sender<()>>,
    /// Where accepted orders go to be followed; `None` once offering ended.
    to_follow: Option<mpsc::UnboundedSender<Placed>>,
}

/// What was seen, once the run is over.
pub struct Outcome {
    pub settled: Vec<Settled>,
    pub unsettled: Vec<Placed>,
    pub create_latencies: Vec<Duration>,
    pub follow_waits: Vec<Duration>,
    pub errors: BTreeMap<String, u64>,
}

impl Outcome {
    pub fn accepted(&self) -> usize {
        self.settled.len() + self.unsettled.len()
    }

    pub fn count(&self, status: &str) -> usize {
        self.settled
            .iter()
            .filter(|order| order.status == status)
            .count()
    }

    pub fn settle_latencies(&self) -> Vec<Duration> {
        self.settled.iter().map(|order| order.latency).collect()
    }
}

#[derive(Clone)]
pub struct Tracker {
    /// `Some`: poll every order this often instead of following its events.
    poll: Option<Duration>,
    state: Arc<Mutex<State>>,
    incoming: Arc<Mutex<Option<mpsc::UnboundedReceiver<Placed>>>>,
    bar: ProgressBar,
}

impl Tracker {
    pub fn new(quiet: bool, poll: Option<Duration>) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            poll,
            state: Arc::new(Mutex::new(State {
                to_follow: Some(sender),
                ..State::default()
            })),
            incoming: Arc::new(Mutex::new(Some(receiver))),
            bar,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding it leaves the counts as they were.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records an accepted order and starts following it; the receiver
    /// fires once it has settled.
    pub fn placed(&self, order: Placed) -> oneshot::Receiver<()> {
        let (settled, waiter) = oneshot::channel();
        let mut state = self.state();
        state.create_latencies.push(order.created_in);
        state.waiters.insert(order.id.clone(), settled);
        state.pending.insert(order.id.clone(), order.clone());
        if let Some(to_follow) = &state.to_follow {
            let _ = to_follow.send(order);
        }
        waiter
    }

    pub fn failed(&self, error: &CallError) {
        self.count_error(error.kind());
    }

    fn count_error(&self, kind: String) {
        *self.state().errors.entry(kind).or_default() += 1;
    }

    /// No more orders come.
    pub fn offering_done(&self) {
        self.state().to_follow = None;
    }

    /// Follows every accepted order until it settles, until the offering
    /// has ended and every order has settled, or until `within` after the
    /// offering ended.
    pub async fn follow(self, api: Api, within: Duration) {
        let Some(mut incoming) = self
            .incoming
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
        else {
            return;
        };
        let slots = Arc::new(Semaphore::new(MAX_WATCHES));
        let mut watches = JoinSet::new();
        // Until the offering ends (the channel closes), start a watch per order.
        loop {
            tokio::select! {
                placed = incoming.recv() => match placed {
                    Some(placed) => {
                        let Ok(slot) = slots.clone().acquire_owned().await else { break };
                        self.state().follow_waits.push(placed.accepted_at.elapsed());
                        let (tracker, api) = (self.clone(), api.clone());
                        watches.spawn(async move {
                            tracker.watch(&api, placed).await;
                            drop(slot);
                        });
                    }
                    None => break,
                },
                Some(_) = watches.join_next(), if !watches.is_empty() => {}
            }
        }
        let deadline = tokio::time::Instant::now() + within;
        while !watches.is_empty() {
            match tokio::time::timeout_at(deadline, watches.join_next()).await {
                Ok(_) => {}
                Err(_) => {
                    watches.abort_all();
                    break;
                }
            }
        }
    }

    /// Follows one order until it is seen settled: through its event
    /// stream, or by polling when the stream fails.
    async fn watch(&self, api: &Api, placed: Placed) {
        if self.poll.is_none() {
            match api.watch_order(&placed.id).await {
                Ok(Some((order, seen_at))) => return self.record(placed, order, seen_at),
                Ok(None) => self.count_error("watch ended before a final state".to_owned()),
                Err(error) => self.count_error(format!("watch {}", error.kind())),
            }
        }
        loop {
            if let Ok(order) = api.order(&placed.id).await
                && order.status != "NEW"
            {
                return self.record(placed, order, Instant::now());
            }
            tokio::time::sleep(self.poll.unwrap_or(POLL_EVERY)).await;
        }
    }

    fn record(&self, placed: Placed, order: OrderState, seen_at: Instant) {
        let mut state = self.state();
        state.pending.remove(&placed.id);
        if let Some(waiter) = state.waiters.remove(&placed.id) {
            let _ = waiter.send(());
        }
        state.settled.push(Settled {
            latency: seen_at.duration_since(placed.accepted_at),
            status: order.status,
            reason: order.failure_reason,
            placed,
        });
        let errors: u64 = state.errors.values().sum();
        self.bar.set_message(format!(
            "accepted {}, settled {}, pending {}, errors {errors}",
            state.settled.len() + state.pending.len(),
            state.settled.len(),
            state.pending.len()
        ));
    }

    pub fn finish(self) -> Outcome {
        self.bar.finish_and_clear();
        let mut state = self.state();
        let mut unsettled: Vec<Placed> = state.pending.drain().map(|(_, placed)| placed).collect();
        unsettled.sort_by_key(|placed| placed.accepted_at);
        Outcome {
            settled: std::mem::take(&mut state.settled),
            unsettled,
            create_latencies: std::mem::take(&mut state.create_latencies),
            follow_waits: std::mem::take(&mut state.follow_waits),
            errors: std::mem::take(&mut state.errors),
        }
    }
}
