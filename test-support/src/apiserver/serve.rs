//! The HTTP/1.1 side: the accept loop, one task per connection, and the
//! dispatch of a request to list, watch or a write, after the request log
//! and the outage switches.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, Response, header};
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::faults::Outage;
use super::query::Query;
use super::reply::{self, Body};
use super::request_log::RequestRecord;
use super::route::Route;
use super::shared::{Shared, stopped};
use super::view::View;
use super::{list, watch, write};

/// How long a graceful shutdown waits for open connections.
const GRACE: Duration = Duration::from_millis(500);

/// The largest request body read.
const MAX_BODY: usize = 8 << 20;

/// Accepts connections until shutdown, then gives open ones [`GRACE`] to
/// finish; dropping the set aborts the rest.
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) if !shared.faults().refuses() => {
                    connections.spawn(connection(stream, Arc::clone(&shared)));
                }
                // Refused: closed without a byte.
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            () = stopped(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, async { while connections.join_next().await.is_some() {} }).await;
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { handle(&shared, request).await }
    });
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Answers one request; an error closes the connection unanswered.
async fn handle(shared: &Arc<Shared>, request: Request<Incoming>) -> Result<Response<Body>, std::io::Error> {
    let method = request.method().clone();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    shared.record(RequestRecord {
        method: method.clone(),
        path_and_query,
    });
    let faults = shared.faults();
    if faults.refuses() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "the fake API server refuses requests",
        ));
    }
    if faults.outage == Some(Outage::Unavailable) {
        return Ok(reply::status(
            503,
            "ServiceUnavailable",
            "the fake API server is unavailable",
        ));
    }
    let path = request.uri().path().to_owned();
    let query = Query::parse(request.uri().query().unwrap_or_default());
    if path == "/version" {
        let version = json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0-fake", "platform": "linux/amd64"});
        return Ok(reply::json(200, &version));
    }
    let Ok(route) = Route::parse(&path) else {
        return Ok(reply::status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    };
    let view = View::from_headers(request.headers());
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let name = route.name.clone();
    if route.resource.namespaced && route.namespace.is_none() && (name.is_some() || method != Method::GET) {
        return Ok(reply::status(
            404,
            "NotFound",
            "a namespaced object needs a namespace in its path",
        ));
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return Ok(reply::status(
                413,
                "RequestEntityTooLarge",
                "the body could not be read",
            ));
        }
    };
    let response = match (&method, name.as_deref()) {
        (&Method::GET, None) if query.flag("watch") => watch::watch(shared, &route, &query, view),
        (&Method::GET, None) => list::list(shared, &route, &query, view),
        (&Method::GET, Some(name)) => write::get(shared, &route, name, view),
        (&Method::POST, None) => write::create(shared, &route, &query, &body),
        (&Method::PUT, Some(name)) => write::replace(shared, &route, name, &query, &body),
        (&Method::PATCH, Some(name)) => write::patch(shared, &route, name, &content_type, &query, &body),
        (&Method::DELETE, Some(name)) => write::remove(shared, &route, name),
        _ => reply::status(405, "MethodNotAllowed", &format!("{method} is not supported here")),
    };
    Ok(response)
}
