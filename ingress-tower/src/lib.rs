//! Kubernetes Ingress routing as Tower middleware.
//!
//! [`IngressRoutingLayer`] wraps any `Service<http::Request<_>>` (an axum
//! [`Router`](https://docs.rs/axum/latest/axum/struct.Router.html), a hyper
//! service) in an [`IngressRouting`] service, which routes every request by
//! an [`ingress_core::SharedTable`], in the order of section 3 of the
//! semantics contract:
//!
//! 1. pick the authority: absolute-form target, else HTTP/2 `:authority`,
//!    else `Host` (several `Host` headers, none on HTTP/1.1, or sources that
//!    disagree: `400`);
//! 2. canonicalise host and path with ingress-core's code, look the route up
//!    in the table current at that instant (one atomic load, no lock);
//! 3. on a match, put the [`Route`](ingress_core::Route) into the request's
//!    extensions, replace the path by its canonical form (query untouched,
//!    see [`IngressRoutingLayer::keep_uri`]) and call the inner service;
//!    no match: the fallback (`404` text by default, see
//!    [`IngressRoutingLayer::fallback`]); cannot be canonicalised: `400` or
//!    `414`.
//!
//! The names follow tower-http's shape (`FooLayer`, `Foo<S>`,
//! [`ResponseFuture`]) and leave `Ingress` to the Kubernetes object, as
//! `ingress_core::Ingress` and k8s-openapi's `Ingress` name it, so all three
//! crates can be imported side by side.
//!
//! The layer owns no routing logic: every decision is ingress-core's, so
//! the `ingress-gateway route` command answers exactly as a server using
//! this layer does.
//!
//! [`Dispatch`] covers the common "one inner service per backend" case.
//! Handlers read the route with axum's `Extension<Route>` extractor.
//!
//! ```
//! use std::collections::HashMap;
//!
//! use axum::{Extension, Router, body::Body, routing::get};
//! use http::{Request, StatusCode};
//! use ingress_core::{HttpIngressPath, Ingress, IngressBackend, Route, RouteTable, SharedTable, TableOptions};
//! use ingress_tower::{Dispatch, IngressRoutingLayer};
//! use tower::{Layer, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // The Ingress: the seed scenario, plus /api to a second Service.
//! let ingress = Ingress::new("default", "example-ingress").with_rule(
//!     Some("hello.nginx.com"),
//!     [
//!         HttpIngressPath::prefix("/", IngressBackend::service("nginx-svc", 80)),
//!         HttpIngressPath::prefix("/api", IngressBackend::service("api-svc", 8080)),
//!     ],
//! );
//! // Route to Service names, and give each an in-process axum Router.
//! let mut set = ingress_core::IngressSet::new();
//! set.apply(&ingress);
//! let table = SharedTable::new(set.compile_with(&TableOptions::default(), |backend| backend.to_string()));
//! let nginx = Router::new().fallback(|| async { "Welcome to nginx!" });
//! let api = Router::new().route(
//!     "/api/{*rest}",
//!     get(|Extension(route): Extension<Route<String>>| async move {
//!         format!("{} via {} as {}", route.backend(), route.ingress(), route.path())
//!     }),
//! );
//! let services = HashMap::from([("default/nginx-svc:80".to_owned(), nginx), ("default/api-svc:8080".to_owned(), api)]);
//! let app = IngressRoutingLayer::new(table.clone()).layer(Dispatch::new(services));
//!
//! let get = |uri: &str, host: &str| Request::get(uri).header("host", host).body(Body::empty()).unwrap();
//! let response = app.clone().oneshot(get("/index.html", "hello.nginx.com")).await.unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//! let body = axum::body::to_bytes(axum::body::Body::new(response.into_body()), 1024).await.unwrap();
//! assert_eq!(&body[..], b"Welcome to nginx!");
//!
//! let response = app.clone().oneshot(get("/api//v1/./users", "HELLO.nginx.com:80")).await.unwrap();
//! let body = axum::body::to_bytes(axum::body::Body::new(response.into_body()), 1024).await.unwrap();
//! assert_eq!(&body[..], b"default/api-svc:8080 via default/example-ingress as /api/v1/users");
//!
//! assert_eq!(app.clone().oneshot(get("/", "other.example")).await.unwrap().status(), StatusCode::NOT_FOUND);
//! assert_eq!(app.oneshot(get("/../etc", "hello.nginx.com")).await.unwrap().status(), StatusCode::BAD_REQUEST);
//! # }
//! ```
//!
//! To serve it, hand the service to hyper or to
//! `axum::serve(listener, axum::ServiceExt::into_make_service(app))`.
//! Publishing a new table through the [`SharedTable`](ingress_core::SharedTable)
//! re-routes the next request, with no restart.
//!
//! # Dependencies in the public API
//!
//! Deliberately public, as this is HTTP middleware: `http` (requests,
//! responses), `http-body` (the [`Body`](http_body::Body) trait that
//! [`ResponseBody`] and [`TextBody`] implement), `bytes` (their frames'
//! data), `tower-service` and `tower-layer` (`Service`, `Layer`), and
//! `ingress-core`. http-body-util's body and tower's `Oneshot` future are
//! used inside, behind [`TextBody`] and [`DispatchFuture`].

mod body;
mod dispatch;
mod fallback;
mod future;
mod layer;
mod request;
mod service;

pub use body::{BoxError, ResponseBody, TextBody};
pub use dispatch::{Dispatch, DispatchFuture};
pub use fallback::NotFoundText;
pub use future::ResponseFuture;
pub use layer::IngressRoutingLayer;
pub use request::route;
pub use service::IngressRouting;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
