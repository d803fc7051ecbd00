//! `TracedStack`: the three real binaries as child processes (each with its
//! own global tracing subscriber), all exporting to the tests' Jaeger, with
//! a fresh database per service and fresh topics.

use std::{path::PathBuf, process::Stdio, time::Duration};

use orderflow_devstack::{TestEnv, TestJaeger, free_port, unique_name};
use orderflow_system_tests::prometheus::Scrape;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// How long an order may take to be paid or cancelled.
pub const SETTLE_DEADLINE: Duration = Duration::from_secs(60);

pub struct TracedStack {
    pub gateway: String,
    /// `http://…` of orders' and payments' metrics listeners.
    pub orders_metrics: String,
    pub payments_metrics: String,
    pub brokers: String,
    pub payment_requested_topic: String,
    pub payment_result_topic: String,
    client: reqwest::Client,
    _children: Vec<Child>,
}

/// An HTTP answer: status, headers, JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }
}

/// A sibling binary of this test's (`target/<profile>/<name>`).
fn binary(name: &str) -> PathBuf {
    if name == "gateway" {
        return PathBuf::from(env!("CARGO_BIN_EXE_gateway"));
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{path:?} is built (nextest --workspace builds every binary)"
    );
    path
}

fn command(name: &str, jaeger: Option<&TestJaeger>) -> Command {
    let mut command = Command::new(binary(name));
    if let Some(jaeger) = jaeger {
        command.env("OTEL_EXPORTER_OTLP_ENDPOINT", &jaeger.otlp_endpoint);
    }
    command
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    command
}

impl TracedStack {
    /// The three services, exporting their spans to the tests' Jaeger.
    pub async fn start() -> Self {
        Self::start_with(Some(TestJaeger::from_env())).await
    }

    /// The three services, exporting to `jaeger` (or to nothing: spans are
    /// still made, for the trace ids, but go nowhere).
    pub async fn start_with(jaeger: Option<TestJaeger>) -> Self {
        let env = TestEnv::from_env();
        let jaeger = jaeger.as_ref();
        let requested = unique_name("payments.requested");
        let results = unique_name("payments.results");
        let service = |name: &str, port: u16, metrics_port: u16, database: String| {
            let mut command = command(name, jaeger);
            command
                .env("DATABASE_URL", database)
                .env("METRICS_LISTEN_ADDR", format!("127.0.0.1:{metrics_port}"))
                .env("KAFKA_BROKERS", env.kafka_brokers())
                .env("GRPC_LISTEN_ADDR", format!("127.0.0.1:{port}"))
                .env("PAYMENT_REQUESTED_TOPIC", &requested)
                .env("PAYMENT_RESULT_TOPIC", &results)
                .env("CONSUMER_GROUP", unique_name(name))
                .env("TOPIC_PARTITIONS", "1")
                .env("OUTBOX_POLL_INTERVAL_MS", "100");
            command.spawn().expect("the service starts")
        };
        let orders_port = free_port().expect("a port");
        let payments_port = free_port().expect("a port");
        let gateway_port = free_port().expect("a port");
        let orders_metrics = free_port().expect("a port");
        let payments_metrics = free_port().expect("a port");
        let orders_db = env.fresh_database("orders").await.expect("a database");
        let payments_db = env.fresh_database("payments").await.expect("a database");
        let mut children = vec![
            service("orders", orders_port, orders_metrics, orders_db),
            service("payments", payments_port, payments_metrics, payments_db),
        ];
        let mut gateway = command("gateway", jaeger);
        gateway
            .env("GATEWAY_LISTEN_ADDR", format!("127.0.0.1:{gateway_port}"))
            .env("ORDERS_URL", format!("http://127.0.0.1:{orders_port}"))
            .env("PAYMENTS_URL", format!("http://127.0.0.1:{payments_port}"));
        children.push(gateway.spawn().expect("the gateway starts"));
        let stack = Self {
            gateway: format!("http://127.0.0.1:{gateway_port}"),
            orders_metrics: format!("http://127.0.0.1:{orders_metrics}"),
            payments_metrics: format!("http://127.0.0.1:{payments_metrics}"),
            brokers: env.kafka_brokers().to_owned(),
            payment_requested_topic: requested.clone(),
            payment_result_topic: results.clone(),
            client: reqwest::Client::new(),
            _children: children,
        };
        orderflow_system_tests::eventually("the stack is ready", SETTLE_DEADLINE, || async {
            let response = stack
                .client
                .get(format!("{}/readyz", stack.gateway))
                .send()
                .await
                .map_err(|error| error.to_string())?;
            match response.status().as_u16() {
                200 => Ok(()),
                status => Err(format!("readyz {status}")),
            }
        })
        .await;
        stack
    }

    /// `POST path` with `body` and extra `headers`.
    pub async fn post(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.gateway))
            .json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send().await.expect("the gateway answers")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        let response = self
            .client
            .get(format!("{}{path}", self.gateway))
            .send()
            .await
            .expect("the gateway answers");
        answer(response).await
    }

    /// A user with an account holding `balance`.
    pub async fn user_with(&self, balance: i64) -> String {
        let user = unique_name("traced");
        let opened = self
            .post("/api/payments/account", json!({ "user_id": user }), &[])
            .await;
        assert_eq!(opened.status, 201, "{opened:?}");
        let topped = self
            .post(
                "/api/payments/topup",
                json!({ "user_id": user, "amount": balance }),
                &[],
            )
            .await;
        assert_eq!(topped.status, 200, "{topped:?}");
        user
    }

    /// Places an order, with extra request `headers`; the answer is 202.
    pub async fn place_order(&self, user: &str, amount: i64, headers: &[(&str, &str)]) -> Answer {
        let placed = self
            .post(
                "/api/orders",
                json!({ "user_id": user, "amount": amount, "description": "traced" }),
                headers,
            )
            .await;
        assert_eq!(placed.status, 202, "{placed:?}");
        placed
    }

    /// The order once it is FINISHED or CANCELLED.
    pub async fn settled(&self, id: &str) -> Value {
        orderflow_system_tests::until(
            "the order is settled",
            SETTLE_DEADLINE,
            || async { self.get(&format!("/api/orders/{id}")).await.body },
            |order| order["status"] != "NEW",
        )
        .await
    }

    /// `GET {base}/metrics`, parsed.
    pub async fn scrape(&self, base: &str) -> Result<Scrape, String> {
        let response = self
            .client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .map_err(|error| error.to_string())?;
        if !response.status().is_success() {
            return Err(format!("/metrics answered {}", response.status()));
        }
        let text = response.text().await.map_err(|error| error.to_string())?;
        Scrape::parse(&text).map_err(|error| error.to_string())
    }

    pub async fn balance(&self, user: &str) -> i64 {
        let answer = self.get(&format!("/api/payments/balance/{user}")).await;
        answer.body["balance"].as_i64().expect("a balance")
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}
