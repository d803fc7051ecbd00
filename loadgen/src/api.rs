//! The REST API as a careful client calls it: every POST carries an
//! `Idempotency-Key`, and a POST that failed in transit or with a 5xx is
//! retried with the same key, so a retry never pays twice.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Why a call failed, as the report counts it.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The gateway answered with an error (its problem code, if any).
    #[error("{status} {code}")]
    Status { status: u16, code: String },
    /// No answer: refused, reset or timed out.
    #[error("transport: {0}")]
    Transport(String),
}

impl CallError {
    /// The key the report counts this error under.
    pub fn kind(&self) -> String {
        match self {
            Self::Status { status, code } => format!("{status} {code}"),
            Self::Transport(_) => "transport".to_owned(),
        }
    }

    fn retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status >= 500,
            Self::Transport(_) => true,
        }
    }
}

/// An order as the report needs it.
#[derive(Clone, Debug)]
pub struct OrderState {
    pub status: String,
    pub failure_reason: Option<String>,
}

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// Attempts per POST (the first and two retries with the same key).
const ATTEMPTS: usize = 3;

impl Api {
    pub fn new(gateway: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Self {
            http,
            base: gateway.trim_end_matches('/').to_owned(),
        })
    }

    pub async fn open_account(&self, user: &str) -> Result<(), CallError> {
        self.post("/api/payments/account", json!({ "user_id": user }))
            .await
            .map(drop)
    }

    pub async fn top_up(&self, user: &str, amount: i64) -> Result<(), CallError> {
        self.post(
            "/api/payments/topup",
            json!({ "user_id": user, "amount": amount }),
        )
        .await
        .map(drop)
    }

    /// Places an order; its id.
    pub async fn place_order(&self, user: &str, amount: i64) -> Result<String, CallError> {
        let order = self
            .post(
                "/api/orders",
                json!({ "user_id": user, "amount": amount, "description": "loadgen" }),
            )
            .await?;
        order["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CallError::Transport(format!("an order without an id: {order}")))
    }

    pub async fn order(&self, id: &str) -> Result<OrderState, CallError> {
        let order = self.get(&format!("/api/orders/{id}")).await?;
        Ok(order_state(&order))
    }

    /// Follows the order's event stream until it shows a final state: that
    /// state and when it arrived, or `None` when the stream ended before one.
    pub async fn watch_order(&self, id: &str) -> Result<Option<(OrderState, Instant)>, CallError> {
        let response = self
            .http
            .get(format!("{}/api/orders/{id}/events", self.base))
            .header("Accept", "text/event-stream")
            // A stream outlives the client's request timeout.
            .timeout(Duration::from_secs(3_600))
            .send()
            .await
            .map_err(|error| CallError::Transport(error.to_string()))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return answer(Ok(response)).await.map(|_| None);
        }
        let mut response = response;
        let mut events = EventStream::default();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| CallError::Transport(error.to_string()))?
        {
            let arrived = Instant::now();
            for event in events.push(&chunk) {
                if event.kind.as_deref() == Some("problem") {
                    let problem: Value = serde_json::from_str(&event.data).unwrap_or_default();
                    return Err(CallError::Status {
                        status: 200,
                        code: problem["code"].as_str().unwrap_or("problem").to_owned(),
                    });
                }
                let Ok(order) = serde_json::from_str::<Value>(&event.data) else {
                    continue;
                };
                let state = order_state(&order);
                if state.status != "NEW" && !state.status.is_empty() {
                    return Ok(Some((state, arrived)));
                }
            }
        }
        Ok(None)
    }

    pub async fn balance(&self, user: &str) -> Result<i64, CallError> {
        let balance = self.get(&format!("/api/payments/balance/{user}")).await?;
        balance["balance"]
            .as_i64()
            .ok_or_else(|| CallError::Transport(format!("a balance without a number: {balance}")))
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, CallError> {
        let key = uuid::Uuid::new_v4().to_string();
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let sent = self
                .http
                .post(format!("{}{path}", self.base))
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
                .await;
            match answer(sent).await {
                Err(error) if error.retryable() => last = Some(error),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| CallError::Transport("no attempt".to_owned())))
    }

    async fn get(&self, path: &str) -> Result<Value, CallError> {
        answer(self.http.get(format!("{}{path}", self.base)).send().await).await
    }
}

async fn answer(sent: reqwest::Result<reqwest::Response>) -> Result<Value, CallError> {
    let response = sent.map_err(|error| CallError::Transport(error.to_string()))?;
    let status = response.status().as_u16();
    let body: Value = response
        .json()
        .await
        .map_err(|error| CallError::Transport(error.to_string()))?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(CallError::Status {
            status,
            code: body["code"].as_str().unwrap_or("?").to_owned(),
        })
    }
}

fn order_state(order: &Value) -> OrderState {
    OrderState {
        status: order["status"].as_str().unwrap_or_default().to_owned(),
        failure_reason: order["failure_reason"].as_str().map(str::to_owned),
    }
}

/// One Server-Sent Event: its type (`None` for `message`) and its data.
#[derive(Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: Option<String>,
    pub data: String,
}

/// Splits a `text/event-stream` body, fed in chunks, into events; comments
/// (heartbeats) are skipped.
#[derive(Default)]
pub struct EventStream {
    buffer: String,
}

impl EventStream {
    /// The events `chunk` completes.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.buffer
            .push_str(&String::from_utf8_lossy(chunk).replace("\r\n", "\n"));
        let mut events = Vec::new();
        while let Some(end) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..end + 2).collect();
            let mut event = Event {
                kind: None,
                data: String::new(),
            };
            let mut has_data = false;
            for line in block.lines() {
                if let Some(kind) = line.strip_prefix("event:") {
                    event.kind = Some(kind.trim().to_owned());
                } else if let Some(data) = line.strip_prefix("data:") {
                    if has_data {
                        event.data.push('\n');
                    }
                    event.data.push_str(data.strip_prefix(' ').unwrap_or(data));
                    has_data = true;
                }
            }
            if has_data {
                events.push(event);
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_stream_split_across_chunks_gives_each_event_once_and_skips_heartbeats() {
        let mut stream = EventStream::default();
        assert_eq!(
            stream.push(b"data: {\"status\":\"NEW\"}\n\n: heart"),
            vec![Event {
                kind: None,
                data: r#"{"status":"NEW"}"#.to_owned()
            }]
        );
        assert_eq!(stream.push(b"beat\n\ndata: {\"status\":"), vec![]);
        assert_eq!(
            stream.push(b"\"FINISHED\"}\r\n\r\nevent: problem\ndata: {}\n\n"),
            vec![
                Event {
                    kind: None,
                    data: r#"{"status":"FINISHED"}"#.to_owned()
                },
                Event {
                    kind: Some("problem".to_owned()),
                    data: "{}".to_owned()
                }
            ]
        );
    }
}
