//! `Dispatch`: one inner service per backend, 503 for the others.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use ingress_core::{Backend, HttpIngressPath, Ingress, IngressBackend, IngressSet, SharedTable, TableOptions};
use ingress_tower::{Dispatch, IngressRoutingLayer};
use tower::{Layer, ServiceExt};

async fn body_of(response: http::Response<impl http_body::Body<Error: std::fmt::Debug>>) -> String {
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn routes_to_the_backends_service_and_503_otherwise() {
    let ingress = Ingress::new("shop", "web").with_rule(
        Some("shop.example"),
        [
            HttpIngressPath::prefix("/", IngressBackend::service("web", 80)),
            HttpIngressPath::prefix("/api", IngressBackend::service("api", 8080)),
            HttpIngressPath::prefix("/gone", IngressBackend::service("gone", 80)),
            HttpIngressPath::prefix(
                "/bucket",
                IngressBackend::resource(Some("storage.example"), "Bucket", "b"),
            ),
        ],
    );
    let mut set = IngressSet::new();
    set.apply(&ingress);
    let table = SharedTable::new(set.compile(&TableOptions::default()));
    let service = |name: &'static str| Router::new().fallback(move || async move { name });
    let backend = |name: &str, port: u16| {
        Backend::Service(ingress_core::validation::ServiceBackend {
            namespace: "shop".into(),
            name: name.into(),
            port: ingress_core::validation::ServicePort::Number(port),
        })
    };
    let services = HashMap::from([
        (backend("web", 80), service("web")),
        (backend("api", 8080), service("api")),
    ]);
    let app = IngressRoutingLayer::new(table).layer(Dispatch::new(services));
    let get = |path: &str| {
        Request::get(path)
            .header("host", "shop.example")
            .body(Body::empty())
            .unwrap()
    };

    let response = app.clone().oneshot(get("/index.html")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_of(response).await, "web");
    assert_eq!(body_of(app.clone().oneshot(get("/api/x")).await.unwrap()).await, "api");
    // A Service with no in-process service, and a resource backend (M9):
    // 503, never another backend.
    for path in ["/gone", "/bucket/key"] {
        let response = app.clone().oneshot(get(path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(body_of(response).await.starts_with("503"));
    }
}

#[tokio::test]
async fn without_the_layer_nothing_is_routed() {
    let dispatch: Dispatch<Backend, Router> = Dispatch::new(HashMap::new());
    let response = dispatch
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}
