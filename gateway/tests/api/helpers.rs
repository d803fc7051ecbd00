//! `TestGateway`: the real gateway in-process on port 0, in front of the
//! real orders and payments services (or of nothing), with one verb method
//! per endpoint.

use std::{net::SocketAddr, time::Duration};

use gateway::{App, Config};
use orderflow_devstack::closed_port_url;
use orderflow_system_tests::TestSystem;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long an order may take to be paid or cancelled.
pub const SETTLE_DEADLINE: Duration = Duration::from_secs(30);

pub struct TestGateway {
    pub addr: SocketAddr,
    client: reqwest::Client,
    system: Option<TestSystem>,
    shutdown: CancellationToken,
    server: JoinHandle<anyhow::Result<()>>,
}

/// An HTTP answer: status, headers, and the body as JSON (null when it is not).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// Asserts a success status and returns the body.
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        &self.body
    }

    /// Asserts an RFC 9457 problem with `status` and `code`, carrying the
    /// response's correlation id, and returns it.
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        assert_eq!(self.header("content-type"), "application/problem+json");
        let problem = &self.body;
        assert_eq!(problem["code"], code, "{problem}");
        assert_eq!(problem["status"], status, "{problem}");
        assert!(
            problem["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:orderflow:problem:")),
            "{problem}"
        );
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{problem}"
        );
        assert_eq!(problem["correlation_id"], self.header("x-correlation-id"));
        problem
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }
}

/// A user id no other test uses.
pub fn unique_user(label: &str) -> String {
    format!(
        "{label}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

impl TestGateway {
    /// The gateway in front of freshly started orders and payments services.
    pub async fn start() -> Self {
        let system = TestSystem::start().await;
        let orders = format!("http://{}", system.orders_addr);
        let payments = format!("http://{}", system.payments_addr);
        Self::spawn(&orders, &payments, Some(system)).await
    }

    /// The gateway with `config` (its service URLs replaced) in front of
    /// freshly started orders and payments services.
    pub async fn start_with(config: Config) -> Self {
        let system = TestSystem::start().await;
        let config = Config {
            orders_url: format!("http://{}", system.orders_addr),
            payments_url: format!("http://{}", system.payments_addr),
            ..config
        };
        Self::spawn_with(config, Some(system)).await
    }

    /// The gateway pointed at ports where nothing listens.
    pub async fn without_services() -> Self {
        let closed = closed_port_url();
        Self::spawn(&closed, &closed, None).await
    }

    /// The gateway with `config`, pointed at ports where nothing listens.
    pub async fn with_config(config: Config) -> Self {
        let closed = closed_port_url();
        let config = Config {
            orders_url: closed.clone(),
            payments_url: closed,
            ..config
        };
        Self::spawn_with(config, None).await
    }

    /// The gateway in front of services that accept connections and never
    /// answer (as a process stopped with SIGSTOP), with `request_timeout`.
    pub async fn in_front_of_hung_services(request_timeout: Duration) -> Self {
        let hung = hung_service_url().await;
        let config = Config {
            orders_url: hung.clone(),
            payments_url: hung,
            request_timeout,
            ..Config::local()
        };
        Self::spawn_with(config, None).await
    }

    /// The gateway with `config` in front of a freshly started orders
    /// service, and of a payments endpoint that accepts connections and
    /// never answers: each payments call holds its request until the
    /// call's deadline.
    pub async fn with_hung_payments(config: Config) -> Self {
        let system = TestSystem::start().await;
        let config = Config {
            orders_url: format!("http://{}", system.orders_addr),
            payments_url: hung_service_url().await,
            ..config
        };
        Self::spawn_with(config, Some(system)).await
    }

    async fn spawn(orders_url: &str, payments_url: &str, system: Option<TestSystem>) -> Self {
        let config = Config {
            orders_url: orders_url.to_owned(),
            payments_url: payments_url.to_owned(),
            ..Config::local()
        };
        Self::spawn_with(config, system).await
    }

    async fn spawn_with(config: Config, system: Option<TestSystem>) -> Self {
        let config = Config {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..config
        };
        let app = App::build(config).await.expect("building the gateway");
        let addr = app.local_addr();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        Self {
            addr,
            client: reqwest::Client::new(),
            system,
            shutdown,
            server,
        }
    }

    /// The services behind the gateway (for their databases).
    pub fn system(&self) -> &TestSystem {
        self.system
            .as_ref()
            .expect("the gateway was started with services")
    }

    /// The services behind the gateway, to pause and resume payments.
    pub fn system_mut(&mut self) -> &mut TestSystem {
        self.system
            .as_mut()
            .expect("the gateway was started with services")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the gateway (gracefully) and the services.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let stopped = tokio::time::timeout(Duration::from_secs(10), self.server).await;
        let result = stopped.expect("the gateway did not stop within 10 s");
        result
            .expect("gateway task panicked")
            .expect("gateway failed");
        if let Some(system) = self.system {
            system.stop().await;
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request
            .send()
            .await
            .expect("sending a request to the gateway");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("reading the answer");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Answer {
        self.send(self.client.post(self.url(path)).json(&body))
            .await
    }

    /// A POST with a raw body and content type, for malformed requests.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Answer {
        let request = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body.to_owned());
        self.send(request).await
    }

    /// A JSON POST with an `Idempotency-Key`.
    pub async fn post_with_key(&self, path: &str, key: &str, body: Value) -> Answer {
        let request = self.request(reqwest::Method::POST, path);
        self.send(request.header("idempotency-key", key).json(&body))
            .await
    }

    /// A request builder, for custom headers.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn create_account(&self, user: &str) -> Answer {
        self.post_json("/api/payments/account", json!({ "user_id": user }))
            .await
    }

    pub async fn top_up(&self, user: &str, amount: i64) -> Answer {
        self.post_json(
            "/api/payments/topup",
            json!({ "user_id": user, "amount": amount }),
        )
        .await
    }

    pub async fn balance(&self, user: &str) -> Answer {
        self.get(&format!("/api/payments/balance/{user}")).await
    }

    /// Opens an account holding `amount`.
    pub async fn funded_account(&self, user: &str, amount: i64) {
        self.create_account(user).await.expect(201);
        self.top_up(user, amount).await.expect(200);
    }

    pub async fn create_order(&self, user: &str, amount: i64, description: &str) -> Answer {
        let body = json!({ "user_id": user, "amount": amount, "description": description });
        self.post_json("/api/orders", body).await
    }

    pub async fn get_order(&self, id: &str) -> Answer {
        self.get(&format!("/api/orders/{id}")).await
    }

    pub async fn list_orders(&self, user: &str, limit: i32, offset: i32) -> Answer {
        self.get(&format!(
            "/api/orders?user_id={user}&limit={limit}&offset={offset}"
        ))
        .await
    }

    /// Polls the order until it leaves `NEW`, failing after [`SETTLE_DEADLINE`]
    /// with the last answer seen.
    pub async fn wait_until_settled(&self, id: &str) -> Value {
        orderflow_system_tests::until(
            &format!("order {id} leaves NEW"),
            SETTLE_DEADLINE,
            || async { self.get_order(id).await.expect(200).clone() },
            |order| order["status"] != "NEW",
        )
        .await
    }
}

/// A local URL that accepts TCP connections and then never reads or writes
/// a byte on them; the connections stay open until the test ends.
async fn hung_service_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding port 0");
    let addr = listener.local_addr().expect("reading the port");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            held.push(connection);
        }
    });
    format!("http://{addr}")
}
