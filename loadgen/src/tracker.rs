//! Follows every accepted order until it settles, polling its state, and
//! keeps what the report needs.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{Api, CallError};

/// How often the pending orders are asked for their state.
const POLL_EVERY: Duration = Duration::from_millis(5);
/// Orders asked for at once.
const POLL_CONCURRENCY: usize = 64;

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
    pending: Vec<Placed>,
    settled: Vec<Settled>,
    create_latencies: Vec<Duration>,
    errors: BTreeMap<String, u64>,
    settle_deadline: Option<Instant>,
}

/// What was seen, once the run is over.
pub struct Outcome {
    pub settled: Vec<Settled>,
    pub unsettled: Vec<Placed>,
    pub create_latencies: Vec<Duration>,
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
    state: Arc<Mutex<State>>,
    bar: ProgressBar,
}

impl Tracker {
    pub fn new(quiet: bool) -> Self {
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
        Self {
            state: Arc::default(),
            bar,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding it leaves the counts as they were.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn placed(&self, order: Placed) {
        let mut state = self.state();
        state.create_latencies.push(order.created_in);
        state.pending.push(order);
    }

    pub fn failed(&self, error: &CallError) {
        *self.state().errors.entry(error.kind()).or_default() += 1;
    }

    /// No more orders come; the rest must settle within `within`.
    pub fn offering_done(&self, within: Duration) {
        self.state().settle_deadline = Some(Instant::now() + within);
    }

    /// Polls the pending orders until all have settled after the offering,
    /// or its deadline passes.
    pub async fn follow(self, api: Api) {
        loop {
            let pending: Vec<Placed> = {
                let state = self.state();
                let over = state
                    .settle_deadline
                    .is_some_and(|deadline| state.pending.is_empty() || Instant::now() > deadline);
                if over {
                    break;
                }
                state.pending.clone()
            };
            let answers: Vec<(Placed, Result<_, CallError>, Instant)> = stream::iter(pending)
                .map(|placed| {
                    let api = api.clone();
                    async move {
                        let answer = api.order(&placed.id).await;
                        (placed, answer, Instant::now())
                    }
                })
                .buffer_unordered(POLL_CONCURRENCY)
                .collect()
                .await;
            self.record(answers);
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    fn record(&self, answers: Vec<(Placed, Result<crate::api::OrderState, CallError>, Instant)>) {
        let mut state = self.state();
        for (placed, answer, seen_at) in answers {
            let Ok(order) = answer else { continue };
            if order.status == "NEW" {
                continue;
            }
            state.pending.retain(|pending| pending.id != placed.id);
            state.settled.push(Settled {
                latency: seen_at.duration_since(placed.accepted_at),
                status: order.status,
                reason: order.failure_reason,
                placed,
            });
        }
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
        Outcome {
            settled: std::mem::take(&mut state.settled),
            unsettled: std::mem::take(&mut state.pending),
            create_latencies: std::mem::take(&mut state.create_latencies),
            errors: std::mem::take(&mut state.errors),
        }
    }
}
