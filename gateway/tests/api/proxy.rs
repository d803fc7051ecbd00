//! A TCP proxy that forwards both ways until told to hold: from then on it
//! still forwards requests to the upstream but keeps its answers, as if
//! they were lost on the way back.

use std::net::SocketAddr;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

pub struct HoldingProxy {
    pub addr: SocketAddr,
    hold: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

impl HoldingProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (hold, holding) = watch::channel(false);
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                tokio::spawn(relay(client, server, holding.clone()));
            }
        });
        Self { addr, hold, accept }
    }

    /// Answers from the upstream are kept from now on.
    pub fn hold(&self) {
        self.hold.send_replace(true);
    }
}

impl Drop for HoldingProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn relay(client: TcpStream, server: TcpStream, mut holding: watch::Receiver<bool>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    };
    let answers = async move {
        let mut buffer = vec![0_u8; 16 * 1024];
        loop {
            let read = match server_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => read,
            };
            if *holding.borrow_and_update() {
                // Kept for good: wait until the test ends.
                let _ = holding.wait_for(|hold| !*hold).await;
                return;
            }
            if client_write.write_all(&buffer[..read]).await.is_err() {
                return;
            }
        }
    };
    tokio::join!(requests, answers);
}
