//! The layer behind a real hyper server on loopback, spoken to over raw
//! HTTP/1.1 bytes and over HTTP/2 with prior knowledge (h2c).

// Helpers unwrap too: in a test, a failure is the test failing.
#![allow(clippy::unwrap_used)]
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet, Route, SharedTable, TableOptions};
use ingress_tower::IngressRoutingLayer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::Layer;

/// Bound on every network step of these tests.
const STEP: Duration = Duration::from_secs(10);

fn table_for(ingresses: &[Ingress]) -> ingress_core::RouteTable<String> {
    let mut set = IngressSet::new();
    for ingress in ingresses {
        set.apply(ingress);
    }
    set.compile_with(&TableOptions::default(), |backend| match backend {
        ingress_core::Backend::Service(service) => service.name.to_string(),
        other => other.to_string(),
    })
}

fn seed(service: &str) -> Vec<Ingress> {
    vec![
        Ingress::new("default", "example-ingress").with_rule(
            Some("hello.nginx.com"),
            [
                HttpIngressPath::prefix("/", IngressBackend::service(service, 80)),
                HttpIngressPath::exact("/exact", IngressBackend::service("exact-svc", 80)),
            ],
        ),
        Ingress::new("default", "wild").with_rule(
            Some("*.example.com"),
            [HttpIngressPath::prefix("/", IngressBackend::service("wild-svc", 80))],
        ),
    ]
}

/// Answers `<backend> <path and query as received>`.
fn echo() -> Router {
    Router::new().fallback(|Extension(route): Extension<Route<String>>, uri: Uri| async move {
        let target = uri.path_and_query().map_or("", |pq| pq.as_str()).to_owned();
        format!("{} {}", route.backend(), target)
    })
}

async fn serve(table: SharedTable<String>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = IngressRoutingLayer::new(table).layer(echo());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Sends raw bytes on a fresh connection and returns `(status, body)`.
async fn raw(addr: SocketAddr, request: &str) -> (u16, String) {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        String::from_utf8_lossy(&response).into_owned()
    };
    let response = tokio::time::timeout(STEP, exchange)
        .await
        .expect("raw exchange timed out");
    let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    // Bodies here are small and, for HTTP/1.1, may be chunked: strip framing.
    let body = if response.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body.lines().skip(1).step_by(2).collect::<Vec<_>>().join("")
    } else {
        body.to_owned()
    };
    (status, body.trim_end().to_owned())
}

fn get(target: &str, headers: &[&str]) -> String {
    let mut request = format!("GET {target} HTTP/1.1\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request
}

async fn start(ingresses: &[Ingress]) -> (SocketAddr, SharedTable<String>) {
    let table = SharedTable::new(table_for(ingresses));
    (serve(table.clone()).await, table)
}

#[tokio::test]
async fn http1_routes_and_forwards_canonical_paths() {
    let (addr, _) = start(&seed("nginx-svc")).await;
    let cases = [
        (get("/", &["Host: hello.nginx.com"]), (200, "nginx-svc /")),
        (
            get("/a/./b/../c//d?q=%2e&x", &["Host: hello.nginx.com"]),
            (200, "nginx-svc /a/c/d?q=%2e&x"),
        ),
        (get("/%65xact", &["Host: hello.nginx.com"]), (200, "exact-svc /exact")),
        (get("/exact/", &["Host: hello.nginx.com"]), (200, "nginx-svc /exact/")),
        // Host with port, upper case, trailing dot.
        (get("/x", &["Host: HELLO.Nginx.COM.:8080"]), (200, "nginx-svc /x")),
        (get("/x", &["Host: a.example.com"]), (200, "wild-svc /x")),
        (get("/x", &["Host: a.b.example.com"]), (404, "")),
        (get("/x", &["Host: example.com"]), (404, "")),
    ];
    for (request, (status, body)) in cases {
        let (got_status, got_body) = raw(addr, &request).await;
        assert_eq!(got_status, status, "{request:?}: {got_body}");
        if status == 200 {
            assert_eq!(got_body, body, "{request:?}");
        }
    }
}

#[tokio::test]
async fn http1_refusals() {
    let (addr, _) = start(&seed("nginx-svc")).await;
    let long = format!("/{}", "a".repeat(9000));
    let cases = [
        // Two Host headers; none on HTTP/1.1.
        (get("/", &["Host: hello.nginx.com", "Host: hello.nginx.com"]), 400),
        (get("/", &[]), 400),
        // Absolute-form target and Host disagree; agree after canonicalisation.
        (get("http://hello.nginx.com/x", &["Host: other.com"]), 400),
        (get("http://hello.nginx.com:80/x", &["Host: Hello.nginx.com"]), 200),
        (get("/../x", &["Host: hello.nginx.com"]), 400),
        (get("/a%2Fb", &["Host: hello.nginx.com"]), 400),
        (get("/a/..;x/b", &["Host: hello.nginx.com"]), 400),
        (get(&long, &["Host: hello.nginx.com"]), 414),
        (get("/", &["Host: a..b"]), 400),
        (get("/", &["Host: user@hello.nginx.com"]), 400),
    ];
    for (request, status) in cases {
        let (got, body) = raw(addr, &request).await;
        assert_eq!(got, status, "{}: {body}", &request[..request.len().min(80)]);
        if status != 200 {
            assert!(
                body.starts_with(&status.to_string()),
                "text body names the status: {body}"
            );
        }
    }
    // HTTP/1.0 without Host: no host, so no named host matches.
    let (status, _) = raw(addr, "GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn absolute_form_target_routes_by_its_authority() {
    let (addr, _) = start(&seed("nginx-svc")).await;
    let (status, body) = raw(addr, &get("http://a.example.com/p/../q?z", &["Host: a.example.com"])).await;
    assert_eq!((status, body.as_str()), (200, "wild-svc /q?z"));
}

#[tokio::test]
async fn h6_x_forwarded_host_never_routes() {
    let (addr, _) = start(&seed("nginx-svc")).await;
    let (status, _) = raw(
        addr,
        &get("/", &["Host: nowhere.org", "X-Forwarded-Host: hello.nginx.com"]),
    )
    .await;
    assert_eq!(status, 404, "H6");
    let (status, body) = raw(
        addr,
        &get("/", &["Host: hello.nginx.com", "X-Forwarded-Host: a.example.com"]),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "nginx-svc /"));
}

/// An HTTP/2 prior-knowledge client.
async fn h2(addr: SocketAddr) -> hyper::client::conn::http2::SendRequest<Empty<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    sender
}

async fn h2_send(
    sender: &mut hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    request: Request<Empty<Bytes>>,
) -> (u16, String) {
    let exchange = async {
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).trim_end().to_owned())
    };
    tokio::time::timeout(STEP, exchange)
        .await
        .expect("h2 exchange timed out")
}

#[tokio::test]
async fn http2_prior_knowledge() {
    let (addr, _) = start(&seed("nginx-svc")).await;
    let mut sender = h2(addr).await;
    let request = |uri: &str| Request::get(uri).body(Empty::new()).unwrap();
    let cases = [
        (
            request("http://hello.nginx.com/a//b/./c?k=v"),
            (200, "nginx-svc /a/b/c?k=v"),
        ),
        (request("http://HELLO.nginx.com.:443/exact"), (200, "exact-svc /exact")),
        (request("http://z.example.com/"), (200, "wild-svc /")),
        (request("http://nowhere.org/"), (404, "")),
        (request("http://hello.nginx.com/%2e%2e/x"), (400, "")),
    ];
    for (request, (status, body)) in cases {
        let uri = request.uri().clone();
        let (got_status, got_body) = h2_send(&mut sender, request).await;
        assert_eq!(got_status, status, "{uri}: {got_body}");
        if status == 200 {
            assert_eq!(got_body, body, "{uri}");
        }
    }
    // :authority and Host must agree (H1).
    let mut disagree = request("http://hello.nginx.com/");
    disagree.headers_mut().insert("host", "other.org".parse().unwrap());
    assert_eq!(h2_send(&mut sender, disagree).await.0, 400);
    let mut agree = request("http://hello.nginx.com/");
    agree
        .headers_mut()
        .insert("host", "hello.nginx.com:443".parse().unwrap());
    assert_eq!(h2_send(&mut sender, agree).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_swaps_under_load_answer_consistently() {
    let versions = 50;
    let tables: Vec<_> = (0..versions).map(|v| table_for(&seed(&format!("svc-v{v}")))).collect();
    let shared = SharedTable::new(tables[0].clone());
    let addr = serve(shared.clone()).await;
    let done = Arc::new(AtomicBool::new(false));

    let clients: Vec<_> = (0..8)
        .map(|client| {
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                let mut sender = h2(addr).await;
                let mut answered = 0;
                let mut seen_last = None;
                while !done.load(Ordering::Relaxed) || answered < 50 {
                    let uri = format!("http://hello.nginx.com/c{client}/{answered}/../x");
                    let (status, body) = h2_send(&mut sender, Request::get(uri).body(Empty::new()).unwrap()).await;
                    assert_eq!(status, 200, "{body}");
                    let (backend, path) = body.split_once(' ').unwrap();
                    assert_eq!(path, format!("/c{client}/x"));
                    let version: usize = backend.strip_prefix("svc-v").unwrap().parse().unwrap();
                    assert!(version < 50, "answer from a published table: {backend}");
                    // Versions are published in order, so one client never goes back.
                    assert!(
                        seen_last.is_none_or(|last| version >= last),
                        "{version} after {seen_last:?}"
                    );
                    seen_last = Some(version);
                    answered += 1;
                }
                answered
            })
        })
        .collect();

    for table in tables.into_iter().skip(1) {
        shared.publish(table);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    done.store(true, Ordering::Relaxed);
    let mut total = 0;
    for client in clients {
        total += tokio::time::timeout(STEP * 3, client)
            .await
            .expect("client timed out")
            .expect("client failed");
    }
    assert!(total >= 400);
    assert_eq!(shared.version(), versions as u64);
}

#[tokio::test]
async fn fallback_and_keep_uri() {
    let table = SharedTable::new(table_for(&seed("nginx-svc")));
    let fallback = Router::new().fallback(|Extension(nf): Extension<ingress_core::table::NotFound>| async move {
        (
            http::StatusCode::IM_A_TEAPOT,
            format!("no route for {} {:?}", nf.host, nf.path.map(|p| p.into_string())),
        )
    });
    let app = IngressRoutingLayer::new(table)
        .keep_uri()
        .fallback(fallback)
        .layer(echo());
    use tower::ServiceExt;
    let request = |uri: &str, host: &str| Request::get(uri).header("host", host).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request("/a/./b", "hello.nginx.com")).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"nginx-svc /a/./b", "keep_uri leaves the path as received");
    let response = app.oneshot(request("/a/./b", "Nowhere.org")).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::IM_A_TEAPOT);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"no route for nowhere.org Some(\"/a/b\")");
}

#[tokio::test]
async fn fragments_are_cut_by_the_http_crate_before_routing() {
    // P2 refuses a raw `#` where the request line is seen raw (ingress-core's
    // `canonicalize_request`); behind hyper, the `http` crate has already cut
    // the fragment off, so the request is routed without it.
    let (addr, _) = start(&seed("nginx-svc")).await;
    let (status, body) = raw(addr, &get("/a#b", &["Host: hello.nginx.com"])).await;
    assert_eq!((status, body.as_str()), (200, "nginx-svc /a"));
    let (status, body) = raw(addr, &get("/a%23b?x", &["Host: hello.nginx.com"])).await;
    assert_eq!((status, body.as_str()), (200, "nginx-svc /a%23b?x"));
}

#[tokio::test]
async fn options_asterisk_is_not_routed() {
    let (addr, _) = start(&seed("nginx-svc")).await;
    let request = "OPTIONS * HTTP/1.1\r\nHost: hello.nginx.com\r\nConnection: close\r\n\r\n";
    assert_eq!(raw(addr, request).await.0, 404);
}
