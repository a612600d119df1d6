//! Upgraded connections (WebSocket and the like): bytes both ways until
//! either side closes. A table swap never touches them.

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::upstream::Connection;

/// Joins the client's side of a switch (once hyper has sent it the 101) to
/// the upstream connection that answered 101.
pub(crate) async fn tunnel(downstream: OnUpgrade, upstream: Connection<TcpStream>) {
    let downstream = match downstream.await {
        Ok(downstream) => downstream,
        Err(error) => {
            tracing::debug!(%error, "upgrade failed");
            return;
        }
    };
    let mut downstream = TokioIo::new(downstream);
    let (mut upstream, early) = upstream.into_parts();
    // What the upstream sent right behind its 101 was read with the head.
    if !early.is_empty()
        && let Err(error) = downstream.write_all(&early).await
    {
        tracing::debug!(%error, "upgraded connection ended");
        return;
    }
    if let Err(error) = tokio::io::copy_bidirectional(&mut downstream, &mut upstream).await {
        tracing::debug!(%error, "upgraded connection ended");
    }
}
