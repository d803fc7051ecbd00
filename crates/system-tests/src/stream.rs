//! A stream of orders at a steady rate, as clients would send them while a
//! fault happens: each order on its own task, errors counted, never retried,
//! so what was accepted is exactly what a client was told.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use orderflow_proto::orders::v1::{CreateOrderRequest, orders_service_client::OrdersServiceClient};
use tokio::task::{JoinHandle, JoinSet};
use tonic::transport::{Channel, Endpoint};

use crate::invariants::Placed;

/// Where the orders go.
#[derive(Clone, Debug)]
pub(crate) enum Via {
    /// `CreateOrder` on these orders replicas, in turn.
    Grpc(Vec<SocketAddr>),
    /// `POST /api/orders` on the gateway.
    Rest(SocketAddr),
}

/// What the clients saw.
#[derive(Clone, Debug, Default)]
pub struct StreamOutcome {
    pub accepted: Vec<Placed>,
    /// Orders that got an error (the first few errors in `errors`).
    pub failed: usize,
    pub errors: Vec<String>,
}

/// A running stream.
pub struct OrderStream {
    task: JoinHandle<StreamOutcome>,
    sent: Arc<AtomicUsize>,
}

impl OrderStream {
    /// Sends `rate` orders/s for `duration`, from `users` in turn, each of an
    /// amount between 1 and 150.
    pub(crate) fn start(via: Via, users: Vec<String>, rate: f64, duration: Duration) -> Self {
        let sent = Arc::new(AtomicUsize::new(0));
        let count = (rate * duration.as_secs_f64()).ceil() as usize;
        let every = Duration::from_secs_f64(1.0 / rate.max(0.001));
        let task = tokio::spawn(run(via, users, count, every, sent.clone()));
        Self { task, sent }
    }

    /// Orders sent so far (answered or not).
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` orders were sent.
    pub async fn sent_at_least(&self, count: usize) {
        crate::until(
            &format!("{count} orders sent"),
            Duration::from_secs(60),
            || async { self.sent() },
            |sent| *sent >= count,
        )
        .await;
    }

    /// Waits until every order was answered.
    pub(crate) async fn finish(self) -> StreamOutcome {
        self.task.await.expect("the stream ran")
    }
}

async fn run(
    via: Via,
    users: Vec<String>,
    count: usize,
    every: Duration,
    sent: Arc<AtomicUsize>,
) -> StreamOutcome {
    let channels: Vec<Channel> = match &via {
        Via::Grpc(addrs) => addrs.iter().map(|addr| channel(*addr)).collect(),
        Via::Rest(_) => Vec::new(),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client");
    let mut pace = tokio::time::interval(every);
    let mut in_flight = JoinSet::new();
    for index in 0..count {
        pace.tick().await;
        let user = users[index % users.len()].clone();
        let amount = amount_of(index);
        let placing = match &via {
            Via::Grpc(_) => {
                let channel = channels[index % channels.len()].clone();
                PlaceWith::Grpc(channel)
            }
            Via::Rest(addr) => PlaceWith::Rest(http.clone(), *addr),
        };
        in_flight.spawn(async move {
            let result = placing.place(&user, amount).await;
            result.map(|id| Placed { id, user, amount })
        });
        sent.fetch_add(1, Ordering::SeqCst);
    }
    let mut outcome = StreamOutcome::default();
    while let Some(joined) = in_flight.join_next().await {
        match joined.expect("an order task") {
            Ok(placed) => outcome.accepted.push(placed),
            Err(error) => {
                outcome.failed += 1;
                if outcome.errors.len() < 5 {
                    outcome.errors.push(error);
                }
            }
        }
    }
    outcome
}

/// 1..=150, spread over the indexes (a fixed scramble, so a run repeats).
fn amount_of(index: usize) -> i64 {
    let mixed = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    1 + (mixed % 150) as i64
}

enum PlaceWith {
    Grpc(Channel),
    Rest(reqwest::Client, SocketAddr),
}

impl PlaceWith {
    /// The new order's id, or what went wrong.
    async fn place(self, user: &str, amount: i64) -> Result<String, String> {
        match self {
            Self::Grpc(channel) => OrdersServiceClient::new(channel)
                .create_order(CreateOrderRequest {
                    user_id: user.to_owned(),
                    amount,
                    description: "fault stream".to_owned(),
                    idempotency_key: String::new(),
                })
                .await
                .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?
                .into_inner()
                .order
                .map(|order| order.id)
                .ok_or_else(|| "an answer without its order".to_owned()),
            Self::Rest(http, addr) => {
                let body = serde_json::json!({
                    "user_id": user, "amount": amount, "description": "fault stream"
                });
                let response = http
                    .post(format!("http://{addr}/api/orders"))
                    .json(&body)
                    .send()
                    .await
                    .map_err(|error| format!("transport: {error}"))?;
                let status = response.status();
                let answer: serde_json::Value = response
                    .json()
                    .await
                    .map_err(|error| format!("{status}: {error}"))?;
                if !status.is_success() {
                    return Err(format!("{status}: {answer}"));
                }
                answer["id"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("an answer without an id: {answer}"))
            }
        }
    }
}

fn channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(5))
        .connect_lazy()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_stay_between_1_and_150_and_vary() {
        let amounts: Vec<i64> = (0..1000).map(amount_of).collect();
        assert!(amounts.iter().all(|amount| (1..=150).contains(amount)));
        let distinct: std::collections::BTreeSet<_> = amounts.iter().collect();
        assert!(distinct.len() > 100, "{}", distinct.len());
    }
}
