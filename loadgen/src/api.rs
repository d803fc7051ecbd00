//! The REST API as a careful client calls it: every POST carries an
//! `Idempotency-Key`, and a POST that failed in transit or with a 5xx is
//! retried with the same key, so a retry never pays twice.

use std::time::Duration;

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
        Ok(OrderState {
            status: order["status"].as_str().unwrap_or_default().to_owned(),
            failure_reason: order["failure_reason"].as_str().map(str::to_owned),
        })
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
