//! Reading a `text/event-stream` answer frame by frame.

use std::time::Duration;

use serde_json::Value;

/// One frame of an event stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// An event: its type (`None` for the default `message`) and its data.
    Event { event: Option<String>, data: Value },
    /// A comment line (`: text`), e.g. a heartbeat.
    Comment(String),
}

/// An open event stream.
pub struct EventStream {
    pub status: u16,
    pub content_type: String,
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    pub async fn open(url: &str) -> Self {
        let response = reqwest::get(url).await.expect("opening the event stream");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Self {
            status: response.status().as_u16(),
            content_type,
            response,
            buffer: String::new(),
        }
    }

    /// The next frame, or `None` when the server closed the stream; panics
    /// when neither comes `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(parse(&block));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| {
                    panic!("no frame within {within:?}; buffered: {:?}", self.buffer)
                })
                .expect("reading the event stream");
            match chunk {
                Some(bytes) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                None => {
                    assert!(
                        self.buffer.trim().is_empty(),
                        "a cut frame: {:?}",
                        self.buffer
                    );
                    return None;
                }
            }
        }
    }

    /// The next event, skipping comments.
    pub async fn next_event(&mut self, within: Duration) -> Option<(Option<String>, Value)> {
        loop {
            match self.next(within).await? {
                Frame::Event { event, data } => return Some((event, data)),
                Frame::Comment(_) => continue,
            }
        }
    }
}

fn parse(block: &str) -> Frame {
    let mut event = None;
    let mut data = Vec::new();
    let mut comments = Vec::new();
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            comments.push(comment.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("event:") {
            event = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.trim_start().to_owned());
        }
    }
    if data.is_empty() {
        return Frame::Comment(comments.join("\n"));
    }
    let data = serde_json::from_str(&data.join("\n")).expect("event data is JSON");
    Frame::Event { event, data }
}
