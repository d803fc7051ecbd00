//! HTTP/1.1 over a bare TCP socket, for requests no HTTP client will send:
//! a body that never comes, bytes that are not valid in a path or header.

use std::{net::SocketAddr, time::Duration};

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// The longest a raw exchange may take before the test fails.
const EXCHANGE_DEADLINE: Duration = Duration::from_secs(10);

/// A response as read off the socket.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body as JSON, null when it is not.
    pub body: Value,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Asserts an RFC 9457 problem with `status` and `code`.
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.body["code"], code, "{self:?}");
        assert_eq!(self.body["status"], status, "{self:?}");
        &self.body
    }
}

/// Opens a connection to `addr`, writes `request` as is, keeps the
/// connection open (the body may never come), and reads one response.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> RawAnswer {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connecting");
        stream
            .write_all(request)
            .await
            .expect("writing the request");
        read_response(&mut stream).await
    };
    tokio::time::timeout(EXCHANGE_DEADLINE, exchange)
        .await
        .unwrap_or_else(|_| panic!("no response within {EXCHANGE_DEADLINE:?}"))
}

/// Reads the head, then `Content-Length` bytes of body (or up to the end of
/// the stream when there is no length).
async fn read_response(stream: &mut TcpStream) -> RawAnswer {
    let mut received = Vec::new();
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|window| window == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await.expect("reading the response");
        assert!(read > 0, "the connection closed mid-head: {received:?}");
        received.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok());
    let mut body = received[head_end..].to_vec();
    match length {
        Some(length) => {
            while body.len() < length {
                let mut chunk = [0u8; 4096];
                let read = stream.read(&mut chunk).await.expect("reading the body");
                assert!(read > 0, "the connection closed mid-body");
                body.extend_from_slice(&chunk[..read]);
            }
            body.truncate(length);
        }
        None => {
            stream
                .read_to_end(&mut body)
                .await
                .expect("reading the body");
        }
    }
    RawAnswer {
        status,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}
