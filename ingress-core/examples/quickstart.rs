//! Builds the routing table of the project's seed scenario plus a fan-out
//! Ingress and prints how a handful of requests are routed, and why.
//!
//! Run it with `cargo run -p ingress-core --example quickstart`.
#![allow(clippy::print_stdout)]

use ingress_core::table::Matched;
use ingress_core::{
    HostHeader, HttpIngressPath, HttpVersion, Ingress, IngressBackend, Outcome, RequestHead, RouteTable, TableOptions,
};

fn main() {
    let seed = Ingress::new("default", "example-ingress").with_rule(
        Some("hello.nginx.com"),
        [HttpIngressPath::prefix("/", IngressBackend::service("nginx-svc", 80))],
    );
    let fanout = Ingress::new("default", "simple-fanout-example")
        .with_rule(
            Some("foo.bar.com"),
            [
                HttpIngressPath::prefix("/foo", IngressBackend::service("service1", 4200)),
                HttpIngressPath::exact("/bar", IngressBackend::service("service2", 8080)),
            ],
        )
        .with_default_backend(IngressBackend::service("fallback", 80));
    let broken = Ingress::new("default", "broken").with_rule(
        Some("Bad.Host"),
        [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))],
    );

    let table = RouteTable::from_ingresses([seed, fanout, broken], &TableOptions::default());
    println!("table: {} routes", table.len());
    print!("{}", table.report());

    let requests: [(&str, &[u8]); 7] = [
        ("/", b"hello.nginx.com"),
        ("/index.html?lang=en", b"Hello.NGINX.com:80"),
        ("/foo/./bar//baz", b"foo.bar.com"),
        ("/bar", b"foo.bar.com"),
        ("/bar/", b"foo.bar.com"),
        ("/", b"unknown.example"),
        ("/../etc/passwd", b"hello.nginx.com"),
    ];
    for (target, host) in requests {
        let head = RequestHead::new("GET", HttpVersion::Http11, target).with_host(HostHeader::One(host));
        let host = String::from_utf8_lossy(host);
        match table.route_request(&head) {
            Outcome::Routed(route) => {
                let how = match route.matched() {
                    Matched::Rule(rule) => format!("rule {rule}"),
                    Matched::DefaultBackend => "default backend".to_owned(),
                };
                println!(
                    "{host} {target} -> {} via {} {how}, forwarded as {}",
                    route.backend(),
                    route.ingress(),
                    route.path()
                );
            }
            Outcome::NotFound(_) => println!("{host} {target} -> 404"),
            Outcome::Refused(error) => {
                println!("{host} {target} -> {} ({error})", error.refusal().status_code());
            }
            other => println!("{host} {target} -> {other:?}"),
        }
    }
}
