//! The admin listener: health, readiness, metrics, the live table.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use ingress_core::table::Matched;
use ingress_kube::feed::{Kind, SourceStatus};
use serde_json::json;

use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::accept::{self, Backoff};
use super::endpoints::Target;
use super::state::Gateway;

/// Serves the admin endpoints until the process ends.
pub(crate) async fn serve(gateway: Arc<Gateway>, mut listener: TcpListener) {
    let mut backoff = Backoff::default();
    loop {
        let (stream, _) = accept::next(&mut listener, &mut backoff, "admin").await;
        let gateway = Arc::clone(&gateway);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| answer(Arc::clone(&gateway), request));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The answer to one admin request.
async fn answer(gateway: Arc<Gateway>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match request.uri().path() {
        "/healthz" => (StatusCode::OK, "text/plain", "ok\n".to_owned()),
        "/readyz" if gateway.feed.is_ready() => (StatusCode::OK, "text/plain", "ready\n".to_owned()),
        "/readyz" => (
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "no routing table yet\n".to_owned(),
        ),
        "/metrics" => {
            // The source's counters and staleness change between rebuilds.
            gateway.metrics.record_source(&gateway.feed.record());
            (
                StatusCode::OK,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                gateway.metrics.encode(),
            )
        }
        "/routes" => (StatusCode::OK, "application/json", routes(&gateway)),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: try /healthz, /readyz, /metrics, /routes\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The live table and its diagnostics, as JSON.
fn routes(gateway: &Gateway) -> String {
    let table = gateway.routes.load();
    let routes: Vec<_> = table
        .targets()
        .iter()
        .map(|target| {
            let (path, path_type) = match target.matched() {
                Matched::Rule(rule) => (Some(rule.path.to_string()), Some(rule.path_type.as_str())),
                Matched::DefaultBackend => (None, None),
            };
            json!({
                "host": target.level().to_string(),
                "path": path,
                "pathType": path_type,
                "defaultBackend": path.is_none(),
                "ingress": target.ingress().to_string(),
                "backend": target.backend().to_string(),
                "endpoints": match target.backend() {
                    Target::Service(upstream) => upstream.describe(),
                    Target::Unserved(_) => json!({"unavailable": "resource backends are not served"}),
                },
            })
        })
        .collect();
    let diagnostics: Vec<String> = table.report().diagnostics().iter().map(ToString::to_string).collect();
    let body = json!({
        "version": table.version(),
        "routes": routes,
        "diagnostics": diagnostics,
        "ready": gateway.feed.is_ready(),
        "source": source(&gateway.feed.record()),
    });
    format!("{body:#}\n")
}

/// Where the tables came from, as JSON.
fn source(record: &SourceStatus) -> serde_json::Value {
    json!({
        "kind": record.source.as_str(),
        "lastSync": record
            .last_sync
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map(|since| since.as_secs_f64()),
        "objects": by_kind(&record.objects),
        "resourceVersions": by_kind(&record.resource_versions),
        "rebuilds": record.rebuilds,
        "routeBuilds": record.route_builds,
        "endpointBuilds": record.endpoint_builds,
        "watchRestarts": record.watch_restarts,
        "relists": record.relists,
        "statusWrites": record.status_writes,
        "eventsEmitted": record.events_emitted,
        "decodeErrors": record.decode_errors,
        "leader": record.leader,
        "staleSince": record
            .stale_since
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map(|since| since.as_secs_f64()),
    })
}

/// A map by kind, as a JSON object by kind name.
fn by_kind<T: serde::Serialize>(map: &BTreeMap<Kind, T>) -> serde_json::Map<String, serde_json::Value> {
    map.iter()
        .map(|(kind, value)| (kind.to_string(), json!(value)))
        .collect()
}
