//! The gateway's added latency: `GetOrder` over gRPC straight to the orders
//! service, against `GET /api/orders/{id}` through the gateway, in the same
//! run, on the same order. Needs DATABASE_URL and KAFKA_BROKERS (as
//! `cargo xtask test` or `cargo xtask bench` provide).
//!
//! After a warm-up, the paths alternate in blocks so that drift in the
//! machine's load hits them alike; each call is timed on its own. Two more
//! paths say roughly where the difference goes (differences of medians,
//! not of paired calls): `GET /healthz` through the gateway (the layers
//! every route has, no upstream call) and a bare axum route with no layers
//! in the same process (the HTTP/1 loopback hop alone, the floor of any
//! HTTP gateway in front of gRPC here).

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::Context;
use gateway::{App, Config};
use orderflow_proto::orders::v1::{
    CreateOrderRequest, GetOrderRequest, orders_service_client::OrdersServiceClient,
};
use orderflow_system_tests::TestSystem;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

const CALLS: usize = 1_000;
const WARM_UP: usize = 100;
const BLOCK: usize = 50;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let system = TestSystem::start().await;
    let config = Config {
        listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        orders_url: format!("http://{}", system.orders_addr),
        payments_url: format!("http://{}", system.payments_addr),
        ..Config::local()
    };
    let app = App::build(config).await?;
    let gateway_url = format!("http://{}", app.local_addr());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let channel = Channel::from_shared(format!("http://{}", system.orders_addr))?
        .connect()
        .await
        .context("connecting to the orders service")?;
    let mut grpc = OrdersServiceClient::new(channel);
    let created = grpc
        .create_order(CreateOrderRequest {
            user_id: "bench-user".to_owned(),
            amount: 100,
            description: "latency benchmark".to_owned(),
            idempotency_key: String::new(),
        })
        .await?
        .into_inner();
    let id = created.order.context("CreateOrder returned no order")?.id;
    let http = reqwest::Client::new();
    let rest_url = format!("{gateway_url}/api/orders/{id}");
    let layers_url = format!("{gateway_url}/healthz");
    let hop_url = bare_http_server().await?;

    let mut direct = Vec::with_capacity(CALLS);
    let mut through_gateway = Vec::with_capacity(CALLS);
    let mut layers_only = Vec::with_capacity(CALLS);
    let mut hop_only = Vec::with_capacity(CALLS);
    for _ in 0..WARM_UP {
        time_grpc(&mut grpc, &id).await?;
        time_rest(&http, &rest_url).await?;
        time_rest(&http, &layers_url).await?;
        time_rest(&http, &hop_url).await?;
    }
    while direct.len() < CALLS {
        for _ in 0..BLOCK {
            direct.push(time_grpc(&mut grpc, &id).await?);
        }
        for _ in 0..BLOCK {
            through_gateway.push(time_rest(&http, &rest_url).await?);
        }
        for _ in 0..BLOCK {
            layers_only.push(time_rest(&http, &layers_url).await?);
        }
        for _ in 0..BLOCK {
            hop_only.push(time_rest(&http, &hop_url).await?);
        }
    }

    let grpc_stats = Stats::of(&mut direct);
    let rest_stats = Stats::of(&mut through_gateway);
    let layers_stats = Stats::of(&mut layers_only);
    let hop_stats = Stats::of(&mut hop_only);
    println!(
        "added latency of the gateway: {CALLS} GetOrder calls each, alternating blocks of {BLOCK}"
    );
    println!("  {:<28} {:>10} {:>10} {:>10}", "", "median", "p99", "mean");
    grpc_stats.print("gRPC GetOrder (direct)");
    rest_stats.print("REST GET /api/orders/{id}");
    layers_stats.print("GET /healthz (gateway)");
    hop_stats.print("GET, bare axum route");
    let added = rest_stats.median.as_secs_f64() - grpc_stats.median.as_secs_f64();
    let ratio = rest_stats.median.as_secs_f64() / grpc_stats.median.as_secs_f64();
    println!(
        "  added by the gateway (median): {:.1} µs, {ratio:.2}x the direct call",
        added * 1e6
    );
    let hop = hop_stats.median.as_secs_f64();
    println!(
        "  of which (roughly) the bare HTTP/1 hop: {:.1} µs; the layers every route has: {:.1} µs; the rest (the API's concurrency limit, handler, JSON, gRPC client): {:.1} µs",
        hop * 1e6,
        (layers_stats.median.as_secs_f64() - hop) * 1e6,
        (added - layers_stats.median.as_secs_f64()) * 1e6
    );
    println!(
        "  1.2x would allow {:.1} µs",
        0.2 * grpc_stats.median.as_secs_f64() * 1e6
    );

    shutdown.cancel();
    server.await??;
    system.stop().await;
    Ok(())
}

/// A server with one route and no layers, answering a small JSON body: what
/// an HTTP/1 request over loopback costs this client and axum, with nothing
/// of the gateway in it. Returns its URL.
async fn bare_http_server() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/order", listener.local_addr()?);
    let router = axum::Router::new().route(
        "/order",
        axum::routing::get(|| async { axum::Json(serde_json::json!({ "id": "bare" })) }),
    );
    // As the gateway's listener: answers go out at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

async fn time_grpc(
    client: &mut OrdersServiceClient<Channel>,
    id: &str,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let order = client
        .get_order(GetOrderRequest { id: id.to_owned() })
        .await?
        .into_inner();
    let elapsed = started.elapsed();
    anyhow::ensure!(order.order.is_some(), "GetOrder returned no order");
    Ok(elapsed)
}

async fn time_rest(client: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let response = client.get(url).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    let elapsed = started.elapsed();
    anyhow::ensure!(status.is_success(), "GET {url} answered {status}");
    anyhow::ensure!(!body.is_empty(), "GET {url} answered an empty body");
    Ok(elapsed)
}

struct Stats {
    median: Duration,
    p99: Duration,
    mean: Duration,
}

impl Stats {
    fn of(samples: &mut [Duration]) -> Self {
        samples.sort_unstable();
        let at = |quantile: f64| samples[((samples.len() - 1) as f64 * quantile).round() as usize];
        let total: Duration = samples.iter().sum();
        Self {
            median: at(0.5),
            p99: at(0.99),
            mean: total / samples.len() as u32,
        }
    }

    fn print(&self, label: &str) {
        let micros = |duration: Duration| format!("{:.1} µs", duration.as_secs_f64() * 1e6);
        println!(
            "  {label:<28} {:>10} {:>10} {:>10}",
            micros(self.median),
            micros(self.p99),
            micros(self.mean)
        );
    }
}
