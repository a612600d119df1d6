//! The seed scenario's stand-in for nginx: every request gets a copy of the
//! nginx welcome page. Not a gateway feature; a demo aid.

use std::process::ExitCode;

use tokio::net::TcpListener;

/// Serves the welcome page on `listen` until the process ends.
pub(crate) fn welcome(listen: std::net::SocketAddr) -> anyhow::Result<ExitCode> {
    const PAGE: &str = "<!DOCTYPE html>\n<html>\n<head><title>Welcome to nginx!</title></head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>This is ingress-gateway's stand-in for nginx, serving the seed scenario where nginx is not installed.</p>\n</body>\n</html>\n";
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(listen).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_request| async {
                    let mut response =
                        http::Response::new(http_body_util::Full::new(bytes::Bytes::from_static(PAGE.as_bytes())));
                    response
                        .headers_mut()
                        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/html"));
                    Ok::<_, std::convert::Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
