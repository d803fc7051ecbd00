//! `<binary> --health-check`: the container's own health probe. The runtime
//! images carry no curl or grpc_health_probe, so each binary asks itself,
//! on the address its configuration names, and exits 0 (healthy) or 1
//! (an error saying why).

use std::{net::SocketAddr, time::Duration};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

/// The flag that turns a binary into its own health probe.
pub(crate) const FLAG: &str = "--health-check";

/// How long one probe may take before it counts as unhealthy.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Whether the binary was started as a probe (`<binary> --health-check`).
pub fn requested() -> bool {
    std::env::args().nth(1).as_deref() == Some(FLAG)
}

/// Asks the `grpc.health.v1` service at `listen` (a listen address; an
/// unspecified IP is asked on loopback) for the overall status.
pub async fn grpc(listen: SocketAddr) -> anyhow::Result<()> {
    let addr = loopback(listen);
    tokio::time::timeout(TIMEOUT, async {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .context("building the probe's endpoint")?
            .connect()
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        let status = tonic_health::pb::health_client::HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .with_context(|| format!("grpc.health.v1 Check at {addr}"))?
            .into_inner()
            .status();
        if status != ServingStatus::Serving {
            bail!("{addr} is {}", status.as_str_name());
        }
        Ok(())
    })
    .await
    .with_context(|| format!("no health answer from {addr} within {TIMEOUT:?}"))?
}

/// `GET path` over HTTP/1.1 at `listen` (loopback for an unspecified IP);
/// healthy on a 2xx status.
pub async fn http(listen: SocketAddr, path: &str) -> anyhow::Result<()> {
    let addr = loopback(listen);
    tokio::time::timeout(TIMEOUT, async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .context("sending the probe")?;
        let mut head = [0u8; 64];
        let read = stream.read(&mut head).await.context("reading the answer")?;
        let answer = String::from_utf8_lossy(&head[..read]);
        let status_line = answer.lines().next().unwrap_or_default();
        match status_line.split_whitespace().nth(1) {
            Some(code) if code.starts_with('2') => Ok(()),
            _ => bail!("GET {path} at {addr} answered {status_line:?}"),
        }
    })
    .await
    .with_context(|| format!("no answer from {addr}{path} within {TIMEOUT:?}"))?
}

fn loopback(listen: SocketAddr) -> SocketAddr {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match listen {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_listen_address_is_probed_on_loopback() {
        let addr: SocketAddr = "0.0.0.0:50051".parse().unwrap();
        assert_eq!(loopback(addr), "127.0.0.1:50051".parse().unwrap());
        let named: SocketAddr = "10.1.2.3:8080".parse().unwrap();
        assert_eq!(loopback(named), named);
    }

    #[tokio::test]
    async fn nothing_listening_is_unhealthy() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        assert!(http(addr, "/readyz").await.is_err());
        assert!(grpc(addr).await.is_err());
    }
}
