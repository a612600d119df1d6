//! Upgraded connections (WebSocket and the like): bytes both ways until
//! either side closes. A table swap never touches them.

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

pub(crate) async fn tunnel(downstream: OnUpgrade, upstream: OnUpgrade) {
    let (downstream, upstream) = match tokio::try_join!(downstream, upstream) {
        Ok(both) => both,
        Err(error) => {
            tracing::debug!(%error, "upgrade failed");
            return;
        }
    };
    let (mut downstream, mut upstream) = (TokioIo::new(downstream), TokioIo::new(upstream));
    if let Err(error) = tokio::io::copy_bidirectional(&mut downstream, &mut upstream).await {
        tracing::debug!(%error, "upgraded connection ended");
    }
}
