//! An upstream that answers each request after a delay and counts the
//! connections it accepted, so that a test can tell how many upstream
//! connections a pattern of requests cost.
//!
//! Requests are read as heads without bodies (GET); each gets `200 OK`,
//! body `ok`, once the delay has passed. Connections are kept alive.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ingress_test_support::{EndpointSliceYaml, ServiceYaml, documents};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The upstream; stops accepting when dropped.
#[derive(Debug)]
pub struct SlowUpstream {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl SlowUpstream {
    /// Listens on 127.0.0.1, on a port of its own; answers after `delay`.
    pub async fn start(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (counted, asked) = (Arc::clone(&accepted), Arc::clone(&requests));
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let asked = Arc::clone(&asked);
                tokio::spawn(async move {
                    let mut pending = Vec::new();
                    let mut buffer = [0_u8; 4096];
                    loop {
                        let read = stream.read(&mut buffer).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        pending.extend_from_slice(&buffer[..read]);
                        while let Some(end) = pending.windows(4).position(|window| window == b"\r\n\r\n") {
                            pending.drain(..end + 4);
                            asked.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(delay).await;
                            if stream
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self {
            addr,
            accepted,
            requests,
            task,
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Request heads received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Service `name` (port 80 named `http`) whose one ready endpoint is
    /// this upstream, as one file's text.
    pub fn service(&self, name: &str) -> String {
        documents([
            ServiceYaml::new(name).port(Some("http"), 80, Some("http")).to_yaml(),
            EndpointSliceYaml::new(&format!("{name}-0"), name)
                .port(Some("http"), self.addr.port())
                .endpoint("127.0.0.1", Some(true))
                .to_yaml(),
        ])
    }
}

impl Drop for SlowUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}
