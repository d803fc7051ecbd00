//! A load generator for orderflow's REST API. It opens accounts, tops them
//! up, places orders (open or closed loop), follows every accepted order until
//! it settles, reports throughput and latency, and checks the invariants:
//! every accepted order settles; orders of users with money finish and those
//! of users without are cancelled for lack of funds; every balance equals its
//! top-ups minus its finished orders, never below zero.

mod api;
mod options;
mod population;
mod report;
mod tracker;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use futures::{StreamExt, stream};
use tokio::task::JoinSet;

pub use api::{Api, CallError};
pub use options::Options;
use population::Population;
pub use report::{Invariants, Percentiles, Report};
use tracker::{Placed, Tracker};

/// Runs the load described by `options` against its gateway.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let api = Api::new(&options.gateway)?;
    let population = Population::new(options.users, options.fail_share);
    population
        .open_accounts(&api, options.balance)
        .await
        .context("opening the accounts")?;

    let tracker = Tracker::new(options.quiet, options.poll.map(Duration::from_millis));
    let following = tokio::spawn(tracker.clone().follow(api.clone(), options.settle_within));
    let started = Instant::now();
    let offered = offer(options, &api, &population, &tracker).await;
    let offering = started.elapsed();
    tracker.offering_done();
    following.await.context("the follower task")?;
    let total = started.elapsed();

    let outcome = tracker.finish();
    let mut invariants = Invariants::default();
    invariants.check(
        "every accepted order settled",
        outcome.unsettled.is_empty(),
        format!(
            "{} of {} unsettled after {:?}",
            outcome.unsettled.len(),
            outcome.accepted(),
            options.settle_within
        ),
    );
    let misplaced: Vec<&tracker::Settled> = outcome
        .settled
        .iter()
        .filter(|settled| !settled.as_expected())
        .collect();
    invariants.check(
        "users with money FINISHED, users without CANCELLED for INSUFFICIENT_FUNDS",
        misplaced.is_empty(),
        match misplaced.first() {
            None => format!("{} orders as expected", outcome.settled.len()),
            Some(first) => format!("{} not: e.g. {first:?}", misplaced.len()),
        },
    );
    let balances = population
        .check_balances(&api, options, &outcome.settled)
        .await;
    invariants.check(
        "balance = top-ups − FINISHED orders, never negative",
        balances.is_ok(),
        balances.unwrap_or_else(|wrong| wrong),
    );

    let finished = outcome.count("FINISHED");
    let cancelled = outcome.count("CANCELLED");
    let mut settle = outcome.settle_latencies();
    let mut create = outcome.create_latencies.clone();
    let mut follow_waits = outcome.follow_waits.clone();
    Ok(Report {
        load: match (options.rate, options.concurrency) {
            (Some(rate), _) => format!("open loop, {rate}/s offered"),
            (None, Some(clients)) if options.wait_settled => {
                format!("closed loop, {clients} clients, each waiting for its order to settle")
            }
            (None, Some(clients)) => format!("closed loop, {clients} clients"),
            (None, None) if options.wait_settled => match options.poll {
                Some(ms) => format!("one order at a time, polled every {ms} ms"),
                None => "one order at a time, each waiting to settle".to_owned(),
            },
            (None, None) => "closed loop, 1 client".to_owned(),
        },
        offering_secs: offering.as_secs_f64(),
        total_secs: total.as_secs_f64(),
        offered,
        accepted: outcome.accepted(),
        finished,
        cancelled,
        unsettled: outcome.unsettled.len(),
        accepted_per_sec: outcome.accepted() as f64 / offering.as_secs_f64(),
        settled_per_sec: (finished + cancelled) as f64 / total.as_secs_f64(),
        create_ms: Percentiles::of(&mut create),
        settle_ms: Percentiles::of(&mut settle),
        follow_wait_ms: Percentiles::of(&mut follow_waits),
        settle_by_second: report::by_second(outcome.settled.iter().map(|settled| {
            (
                settled
                    .placed
                    .accepted_at
                    .saturating_duration_since(started),
                settled.latency,
            )
        })),
        errors: outcome.errors,
        invariants,
    })
}

/// Places orders until the duration or the order count is reached; returns
/// how many were offered.
async fn offer(options: &Options, api: &Api, population: &Population, tracker: &Tracker) -> usize {
    let deadline = Instant::now() + options.duration;
    let limit = options.orders.unwrap_or(usize::MAX);
    let next = Arc::new(AtomicUsize::new(0));
    let offered = Arc::new(AtomicUsize::new(0));
    // The index of the next order to offer, while there is one.
    let take = {
        let (next, offered) = (next.clone(), offered.clone());
        move || {
            let index = next.fetch_add(1, Ordering::SeqCst);
            let more = index < limit && Instant::now() < deadline;
            if more {
                offered.fetch_add(1, Ordering::SeqCst);
            }
            more.then_some(index)
        }
    };
    let place = |index: usize| {
        let (user, paying) = population.user_for(index);
        let (api, tracker, amount) = (api.clone(), tracker.clone(), options.amount);
        let (wait_settled, settle_within) = (options.wait_settled, options.settle_within);
        async move {
            let sent = Instant::now();
            match api.place_order(&user, amount).await {
                Ok(id) => {
                    let settled = tracker.placed(Placed {
                        id,
                        user,
                        paying,
                        accepted_at: Instant::now(),
                        created_in: sent.elapsed(),
                    });
                    if wait_settled {
                        // An order that never settles is reported unsettled.
                        let _ = tokio::time::timeout(settle_within, settled).await;
                    }
                }
                Err(error) => tracker.failed(&error),
            }
        }
    };
    match options.rate {
        Some(rate) => {
            let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.001)));
            let mut in_flight = JoinSet::new();
            while let Some(index) = take() {
                pace.tick().await;
                in_flight.spawn(place(index));
            }
            while in_flight.join_next().await.is_some() {}
        }
        None => {
            let clients = options.concurrency.unwrap_or(1).max(1);
            stream::iter(0..clients)
                .for_each_concurrent(clients, |_| {
                    let take = take.clone();
                    let place = &place;
                    async move {
                        while let Some(index) = take() {
                            place(index).await;
                        }
                    }
                })
                .await;
        }
    }
    offered.load(Ordering::SeqCst)
}
