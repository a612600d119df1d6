//! The Tower contract: inner errors pass through unchanged, readiness is the
//! inner service's.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use ingress_core::{HttpIngressPath, Ingress, IngressBackend, RouteTable, SharedTable, TableOptions};
use ingress_tower::IngressRoutingLayer;
use tower::{Layer, Service, ServiceExt};

fn table() -> SharedTable {
    SharedTable::new(RouteTable::from_ingresses(
        [Ingress::new("default", "web")
            .with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))])],
        &TableOptions::default(),
    ))
}

#[derive(Debug, PartialEq)]
struct Broken(&'static str);

impl From<Infallible> for Broken {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

#[tokio::test]
async fn inner_errors_pass_through_unchanged() {
    let failing = tower::service_fn(|_: Request<()>| async { Err::<Response<Full<Bytes>>, _>(Broken("backend down")) });
    let service = IngressRoutingLayer::new(table()).layer(failing);
    let request = Request::get("/x")
        .header("host", "a.example")
        .body(())
        .expect("request");
    assert_eq!(service.oneshot(request).await.err(), Some(Broken("backend down")));
}

/// Ready only after `polls` calls to `poll_ready`.
struct SlowToStart {
    polls: usize,
}

impl Service<Request<()>> for SlowToStart {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        if self.polls == 0 {
            return Poll::Ready(Ok(()));
        }
        self.polls -= 1;
        Poll::Pending
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        ready(Ok(Response::new(Full::new(Bytes::from_static(b"ok")))))
    }
}

#[test]
fn readiness_is_the_inner_services() {
    let mut service = IngressRoutingLayer::new(table()).layer(SlowToStart { polls: 2 });
    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_pending());
    assert!(service.poll_ready(&mut cx).is_pending());
    assert!(matches!(service.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    assert_eq!(service.get_ref().polls, 0);
}
