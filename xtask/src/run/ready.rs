//! Readiness as the run command judges it, over plain HTTP on loopback: the
//! gateway's `/readyz` (200 once orders and payments both report SERVING,
//! which they do once their database and Kafka answer) and Jaeger's query API.

use std::{
    io::{Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpStream},
    time::Duration,
};

/// The status code and body of `GET path` at `127.0.0.1:port`, or why not.
pub fn get(port: u16, path: &str) -> Result<(u16, String), String> {
    get_within(port, path, Duration::from_secs(2))
}

/// [`get`], connecting and reading for up to `timeout` each.
pub fn get_within(port: u16, path: &str, timeout: Duration) -> Result<(u16, String), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|error| error.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|error| error.to_string())?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|error| error.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|error| error.to_string())?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {response:.80}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// `None` when every part is ready, else what is not.
pub fn pending(gateway: u16, jaeger: u16) -> Option<String> {
    let mut waiting = Vec::new();
    match get(gateway, "/readyz") {
        Ok((200, _)) => {}
        Ok((_, body)) => waiting.push(format!("the gateway's /readyz says {}", body.trim())),
        Err(error) => waiting.push(format!("the gateway does not answer ({error})")),
    }
    match get(jaeger, "/api/services") {
        Ok((200, _)) => {}
        Ok((status, _)) => waiting.push(format!("Jaeger's query API answers {status}")),
        Err(error) => waiting.push(format!("Jaeger does not answer ({error})")),
    }
    (!waiting.is_empty()).then(|| waiting.join("; "))
}
