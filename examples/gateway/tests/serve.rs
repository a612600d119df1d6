//! `ingress-gateway serve` end to end, the routing side: the real binary in
//! front of real backends on 127.0.0.1, routing by the rules of
//! `ingress-core/SEMANTICS.md` (tests are named after them), and
//! forwarding what it matched. Backends, errors and admin: `serve_backends.rs`;
//! reloads: `serve_reload.rs`; shutdown: `serve_shutdown.rs`.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use support::backend::{fingerprint, pattern};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m1_m2_h2_h4_exact_host_then_one_label_wildcard_then_hostless() {
    let exact = Backend::start("exact").await;
    let narrow = Backend::start("narrow").await;
    let wild = Backend::start("wild").await;
    let any = Backend::start("any").await;
    let ingress = IngressYaml::new("hosts")
        .rule(Some("foo.example"), [path("Prefix", "/", service_backend("exact", 80))])
        .rule(
            Some("narrow.example"),
            [path("Prefix", "/app", service_backend("narrow", 80))],
        )
        .rule(
            Some("*.wild.example"),
            [path("Prefix", "/", service_backend("wild", 80))],
        )
        .rule(None, [path("Prefix", "/", service_backend("any", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&exact, &narrow, &wild, &any])),
        ("hosts.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let cases = [
        ("foo.example", "/x?y=1", "exact"),
        // M1: a wildcard covers exactly one label...
        ("a.wild.example", "/x", "wild"),
        // ...not two, and not the parent: those fall to the host-less rules.
        ("a.b.wild.example", "/x", "any"),
        ("wild.example", "/x", "any"),
        ("other.example", "/x", "any"),
        // H4: an IP literal is "no host".
        ("127.0.0.1", "/x", "any"),
        // H2: lower-cased, port and one trailing dot removed.
        ("FOO.Example", "/x", "exact"),
        ("foo.example:8080", "/x", "exact"),
        ("foo.example.", "/x", "exact"),
        ("A.Wild.EXAMPLE.:80", "/x", "wild"),
        ("narrow.example", "/app/1", "narrow"),
    ];
    for (host, target, expected) in cases {
        let seen = get(gateway.addr, host, target).await.seen();
        assert_eq!(seen.backend(), expected, "Host: {host}");
        // The client's Host goes on unchanged, and is the X-Forwarded-Host.
        assert_eq!(seen.header("host"), Some(host), "Host: {host}");
        assert_eq!(seen.header("x-forwarded-host"), Some(host), "Host: {host}");
    }

    // M2: the level of narrow.example was selected; a path it does not
    // match is a 404, not the host-less rule.
    let answer = get(gateway.addr, "narrow.example", "/other").await;
    assert_eq!(answer.status, 404, "{}", answer.text());
    assert_eq!(any.hits(), 4, "only the four host-less cases reach `any`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h1_h5_h6_missing_repeated_and_absolute_form_hosts() {
    let exact = Backend::start("exact").await;
    let any = Backend::start("any").await;
    let ingress = IngressYaml::new("hosts")
        .rule(Some("foo.example"), [path("Prefix", "/", service_backend("exact", 80))])
        .rule(None, [path("Prefix", "/", service_backend("any", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&exact, &any])),
        ("hosts.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    // H5: HTTP/1.1 without a Host, or with two: 400.
    let answer = send(gateway.addr, &request("GET", "/x", None, &[], b"")).await;
    assert_eq!(answer.status, 400, "no Host: {}", answer.text());
    let twice = request("GET", "/x", Some("foo.example"), &[("Host", "other.example")], b"");
    let answer = send(gateway.addr, &twice).await;
    assert_eq!(answer.status, 400, "two Hosts: {}", answer.text());
    // H5: HTTP/1.0 without a Host is "no host": the host-less rules.
    let answer = send(gateway.addr, b"GET /old HTTP/1.0\r\n\r\n").await;
    assert_eq!(answer.seen().backend(), "any");

    // H1: the absolute-form target's authority is the host...
    let absolute = request("GET", "http://foo.example/abs?q=1", Some("foo.example"), &[], b"");
    let seen = send(gateway.addr, &absolute).await.seen();
    assert_eq!((seen.backend(), seen.target()), ("exact", "/abs?q=1"));
    // ...and one that disagrees with the Host header is refused.
    let disagree = request("GET", "http://foo.example/abs", Some("other.example"), &[], b"");
    let answer = send(gateway.addr, &disagree).await;
    assert_eq!(answer.status, 400, "authority and Host disagree: {}", answer.text());

    // H6: X-Forwarded-Host never routes; the backend gets the real Host in it.
    let spoofed = request(
        "GET",
        "/x",
        Some("other.example"),
        &[("X-Forwarded-Host", "foo.example")],
        b"",
    );
    let seen = send(gateway.addr, &spoofed).await.seen();
    assert_eq!(seen.backend(), "any");
    assert_eq!(seen.header("x-forwarded-host"), Some("other.example"));
    assert_eq!(exact.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m3_m4_m5_exact_prefix_longest_prefix_and_trailing_slashes() {
    let names = [
        "exact-foo",
        "prefix-foo",
        "prefix-foo-bar",
        "root",
        "exact-slash",
        "aaa-bbb",
    ];
    let mut backends = Vec::new();
    for name in names {
        backends.push(Backend::start(name).await);
    }
    let refs: Vec<&Backend> = backends.iter().collect();
    let ingress = IngressYaml::new("paths").rule(
        Some("paths.example"),
        [
            path("Prefix", "/foo", service_backend("prefix-foo", 80)),
            path("Exact", "/foo", service_backend("exact-foo", 80)),
            path("Prefix", "/foo/bar", service_backend("prefix-foo-bar", 80)),
            path("Prefix", "/", service_backend("root", 80)),
            path("Exact", "/slash/", service_backend("exact-slash", 80)),
            path("Prefix", "/aaa/bbb/", service_backend("aaa-bbb", 80)),
        ],
    );
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&refs)),
        ("paths.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let cases = [
        // M5: Exact beats every Prefix.
        ("/foo", "exact-foo"),
        // M3: a trailing slash counts for Exact; M4: Prefix /foo takes it.
        ("/foo/", "prefix-foo"),
        ("/foo/x", "prefix-foo"),
        // M5: the longest Prefix wins.
        ("/foo/bar", "prefix-foo-bar"),
        ("/foo/bar/baz", "prefix-foo-bar"),
        // M4: element-wise, case-sensitive.
        ("/foo/barbaz", "prefix-foo"),
        ("/foobar", "root"),
        ("/FOO", "root"),
        ("/slash/", "exact-slash"),
        ("/slash", "root"),
        ("/slash/x", "root"),
        // M4: Prefix /aaa/bbb/ matches /aaa/bbb, not /aaa/bbbxyz.
        ("/aaa/bbb", "aaa-bbb"),
        ("/aaa/bbb/", "aaa-bbb"),
        ("/aaa/bbb/ccc", "aaa-bbb"),
        ("/aaa/bbbxyz", "root"),
        ("/", "root"),
    ];
    for (path, expected) in cases {
        let seen = get(gateway.addr, "paths.example", path).await.seen();
        assert_eq!(seen.backend(), expected, "path {path}");
        assert_eq!(seen.target(), path, "forwarded as sent when already canonical");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p1_p3_p4_p5_backend_gets_the_canonical_path_and_the_original_query() {
    let any = Backend::start("any").await;
    let app = Backend::start("app").await;
    let pipe = Backend::start("pipe").await;
    let ingress = IngressYaml::new("canon").rule(
        None,
        [
            path("Prefix", "/", service_backend("any", 80)),
            path("Prefix", "/app", service_backend("app", 80)),
            // P9: configured with a character clients must encode.
            path("Prefix", "/pipe|x", service_backend("pipe", 80)),
        ],
    );
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&any, &app, &pipe])),
        ("canon.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let cases = [
        // P4 dot segments, P5 repeated slashes; P1 the query byte for byte.
        ("/a/./b//c?x=%2e", "any", "/a/b/c?x=%2e"),
        ("/a/b/../c", "any", "/a/c"),
        // P3: unreserved escapes decoded (so %2e%2e is a dot segment)...
        ("/%7Euser/%2e%2e/x?q=%2F&r", "any", "/x?q=%2F&r"),
        ("/%61pp/x", "app", "/app/x"),
        // ...other escapes kept, in upper-case hex, decoded once only.
        ("/a/%c3%a9?%c3%a9", "any", "/a/%C3%A9?%c3%a9"),
        ("/a/%2541", "any", "/a/%2541"),
        // The canonical path is what matched: /x/../app is /app.
        ("/x/../app//y/?z", "app", "/app/y/?z"),
        // P3, P9: one canonical form whichever way the client spelled it.
        ("/pipe|x/1", "pipe", "/pipe%7Cx/1"),
        ("/pipe%7cx/1", "pipe", "/pipe%7Cx/1"),
    ];
    for (target, expected, forwarded) in cases {
        let seen = get(gateway.addr, "canon.example", target).await.seen();
        assert_eq!(seen.backend(), expected, "{target}");
        assert_eq!(seen.target(), forwarded, "{target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_are_set_and_hop_by_hop_headers_are_not_forwarded() {
    let any = Backend::start("any").await;
    let ingress = IngressYaml::new("hop").rule(None, [path("Prefix", "/", service_backend("any", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&any])),
        ("hop.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let headers = [
        ("Connection", "close, X-Private"),
        ("X-Private", "secret"),
        ("Keep-Alive", "timeout=5"),
        ("Proxy-Connection", "keep-alive"),
        ("TE", "deflate;q=0.5, trailers"),
        ("Proxy-Authorization", "Basic Zm9vOmJhcg=="),
        ("X-Forwarded-For", "10.0.0.1"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "spoofed.example"),
        ("X-End-To-End", "kept"),
        ("X-Want-Hop", "1"),
    ];
    let answer = send(
        gateway.addr,
        &request("GET", "/h", Some("Hop.Example:8080"), &headers, b""),
    )
    .await;
    let seen = answer.seen();
    for dropped in ["x-private", "keep-alive", "proxy-connection", "proxy-authorization"] {
        assert_eq!(seen.headers(dropped), Vec::<&str>::new(), "{dropped} was forwarded");
    }
    // TE's codings are for this hop; that the client takes trailers is said
    // again (the gateway passes them on).
    assert_eq!(seen.headers("te"), ["trailers"]);
    for connection in seen.headers("connection") {
        assert!(
            !connection.to_ascii_lowercase().contains("private"),
            "Connection forwarded: {connection}"
        );
    }
    assert_eq!(seen.header("x-end-to-end"), Some("kept"));
    assert_eq!(seen.header("host"), Some("Hop.Example:8080"));
    // The client is appended to the list it sent.
    assert_eq!(seen.header("x-forwarded-for"), Some("10.0.0.1, 127.0.0.1"));
    assert_eq!(seen.header("x-forwarded-proto"), Some("http"));
    assert_eq!(seen.header("x-forwarded-host"), Some("Hop.Example:8080"));
    // The answer's hop-by-hop headers stay with the upstream connection too.
    assert_eq!(answer.header("x-backend-private"), None, "{:?}", answer.headers);
    assert_eq!(answer.header("keep-alive"), None, "{:?}", answer.headers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_for_keeps_every_earlier_hop_when_sent_on_several_lines() {
    let any = Backend::start("any").await;
    let ingress = IngressYaml::new("xff").rule(None, [path("Prefix", "/", service_backend("any", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&any])),
        ("xff.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    // Two field lines of a list header are one list (RFC 9110 section 5.3).
    let headers = [("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2")];
    let seen = send(gateway.addr, &request("GET", "/", Some("xff.example"), &headers, b""))
        .await
        .seen();
    assert_eq!(seen.header("x-forwarded-for"), Some("10.0.0.1, 10.0.0.2, 127.0.0.1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m7_default_backend_takes_any_method_and_path_with_bodies_intact() {
    let fallback = Backend::start("fallback").await;
    let shop = Backend::start("shop").await;
    let shop_default = Backend::start("shop-default").await;
    // No rules: the fallback of the host-less level.
    let fallback_ingress = IngressYaml::new("fallback").default_backend(service_backend("fallback", 80));
    // Rules for shop.example: its default backend is that level's fallback.
    let shop_ingress = IngressYaml::new("shop")
        .default_backend(service_backend("shop-default", 80))
        .rule(
            Some("shop.example"),
            [path("Prefix", "/app", service_backend("shop", 80))],
        );
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&fallback, &shop, &shop_default])),
        ("fallback.yaml", &fallback_ingress.to_yaml()),
        ("shop.yaml", &shop_ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let seen = get(gateway.addr, "whatever.example", "/anything/at/all?q=1")
        .await
        .seen();
    assert_eq!(
        (seen.backend(), seen.method(), seen.target()),
        ("fallback", "GET", "/anything/at/all?q=1")
    );

    // A 1 MiB POST body arrives intact.
    let body = pattern(1 << 20);
    let post = request("POST", "/submit", Some("whatever.example"), &[], &body);
    let seen = send(gateway.addr, &post).await.seen();
    assert_eq!((seen.backend(), seen.method()), ("fallback", "POST"));
    assert_eq!(seen.body_len(), 1 << 20);
    assert_eq!(seen.body_hash(), fingerprint(&body));

    // A chunked body: Transfer-Encoding is hop-by-hop, the body is not.
    let chunked = b"PUT /upload HTTP/1.1\r\nHost: whatever.example\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let seen = send(gateway.addr, chunked).await.seen();
    assert_eq!((seen.method(), seen.0["body"].as_str()), ("PUT", Some("hello world")));

    // Expect: 100-continue gets its interim answer, then the body goes through.
    let mut conn = Conn::open(gateway.addr).await;
    conn.write(b"POST /expect HTTP/1.1\r\nHost: whatever.example\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
        .await;
    let interim = step("100 Continue", conn.read_one()).await;
    assert_eq!(interim.status, 100);
    conn.write(b"hello").await;
    let seen = conn.read_answer().await.seen();
    assert_eq!(seen.0["body"].as_str(), Some("hello"));

    for method in ["DELETE", "PATCH", "OPTIONS"] {
        let seen = send(gateway.addr, &request(method, "/items/7", Some("x.example"), &[], b""))
            .await
            .seen();
        assert_eq!(
            (seen.backend(), seen.method(), seen.target()),
            ("fallback", method, "/items/7")
        );
    }

    // A 3 MB answer streams back intact.
    let answer = get(gateway.addr, "whatever.example", "/big?download=3000000").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.len(), 3_000_000);
    assert!(answer.body == pattern(3_000_000), "the downloaded body differs");

    // HEAD: the upstream's length comes back without a body, and the
    // connection carries the next request.
    let mut conn = Conn::open(gateway.addr).await;
    conn.write(b"HEAD /big?download=1000 HTTP/1.1\r\nHost: whatever.example\r\n\r\n")
        .await;
    let head = step("the HEAD answer", conn.read_head()).await;
    assert_eq!((head.status, head.header("content-length")), (200, Some("1000")));
    conn.write(b"GET /after-head HTTP/1.1\r\nHost: whatever.example\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(conn.read_answer().await.seen().target(), "/after-head");

    // The shop.example level: its rule, else its Ingress's default backend.
    assert_eq!(
        get(gateway.addr, "shop.example", "/app/1").await.seen().backend(),
        "shop"
    );
    let seen = send(
        gateway.addr,
        &request("POST", "/other", Some("shop.example"), &[], b"x=1"),
    )
    .await
    .seen();
    assert_eq!((seen.backend(), seen.method()), ("shop-default", "POST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m2_p2_p4_p6_p7_h3_not_found_and_refused_requests_never_reach_a_backend() {
    let app = Backend::start("app").await;
    let ingress = IngressYaml::new("only").rule(
        Some("only.example"),
        [path("Prefix", "/app", service_backend("app", 80))],
    );
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&app])),
        ("only.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;
    assert_eq!(get(gateway.addr, "only.example", "/app").await.seen().backend(), "app");

    let long = format!("/app/{}", "a".repeat(9000));
    let cases = [
        // No path of the host's level matches, no default backend: 404.
        ("only.example", "/other", 404),
        ("only.example", "/apps", 404),
        // No level at all for this host.
        ("nobody.example", "/app", 404),
        // P4: climbing above the root.
        ("only.example", "/../x", 400),
        ("only.example", "/app/../../x", 400),
        ("only.example", "/app/%2e%2e/%2E%2E/x", 400),
        // P6: encoded slash or backslash.
        ("only.example", "/app/a%2Fb", 400),
        ("only.example", "/app/a%5cb", 400),
        // P2: NUL, dot segments with parameters, malformed escapes, `*`.
        ("only.example", "/app/%00", 400),
        ("only.example", "/app/..;x/y", 400),
        ("only.example", "/app/%zz", 400),
        ("only.example", "*", 400),
        // H2: a port that is not one; H3: empty labels, userinfo.
        ("only.example:99999", "/app", 400),
        ("only.example:8o", "/app", 400),
        ("a..only.example", "/app", 400),
        ("user@only.example", "/app", 400),
        // P7: a path over 8 KiB.
        ("only.example", long.as_str(), 414),
    ];
    for (host, target, status) in cases {
        let answer = get(gateway.addr, host, target).await;
        let shown: String = target.chars().take(40).collect();
        assert_eq!(answer.status, status, "{host} {shown}: {}", answer.text());
        assert!(
            answer.text().starts_with(&status.to_string()),
            "{host} {shown}: {}",
            answer.text()
        );
    }
    assert_eq!(app.hits(), 1, "a refused or unmatched request reached the backend");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn o1_o2_o3_only_ingresses_of_our_class_are_served() {
    let ours = Backend::start("ours").await;
    let theirs = Backend::start("theirs").await;
    let ingresses = documents(
        [
            IngressYaml::new("named").class("ours").rule(
                Some("named.example"),
                [path("Prefix", "/", service_backend("ours", 80))],
            ),
            IngressYaml::new("annotated")
                .annotation("kubernetes.io/ingress.class", "ours")
                .rule(
                    Some("annotated.example"),
                    [path("Prefix", "/", service_backend("ours", 80))],
                ),
            IngressYaml::new("classless").rule(
                Some("classless.example"),
                [path("Prefix", "/", service_backend("ours", 80))],
            ),
            IngressYaml::new("theirs").class("nginx").rule(
                Some("theirs.example"),
                [path("Prefix", "/", service_backend("theirs", 80))],
            ),
        ]
        .map(|ingress| ingress.to_yaml()),
    );
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        (
            "nginx-class.yaml",
            &IngressClassYaml::new("nginx", "k8s.io/ingress-nginx").to_yaml(),
        ),
        ("services.yaml", &services(&[&ours, &theirs])),
        ("ingresses.yaml", &ingresses),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    for host in ["named.example", "annotated.example", "classless.example"] {
        assert_eq!(get(gateway.addr, host, "/").await.seen().backend(), "ours", "{host}");
    }
    assert_eq!(get(gateway.addr, "theirs.example", "/").await.status, 404);
    assert_eq!(theirs.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn o2_classless_ingresses_need_a_default_class_or_watch_without_class() {
    let ours = Backend::start("ours").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &IngressClassYaml::new("ours", CONTROLLER).to_yaml()),
        ("services.yaml", &services(&[&ours])),
        (
            "classless.yaml",
            &IngressYaml::new("classless")
                .rule(
                    Some("classless.example"),
                    [path("Prefix", "/", service_backend("ours", 80))],
                )
                .to_yaml(),
        ),
    ]);
    let strict = Gateway::start(dir.path(), &[]).await;
    assert_eq!(get(strict.addr, "classless.example", "/").await.status, 404);
    let watching = Gateway::start(dir.path(), &["--watch-without-class"]).await;
    let answer = get(watching.addr, "classless.example", "/").await;
    assert_eq!(answer.seen().backend(), "ours");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_cleartext_requests_are_routed_by_authority_and_forwarded_with_it_as_host() {
    let exact = Backend::start("exact").await;
    let any = Backend::start("any").await;
    let ingress = IngressYaml::new("h2")
        .rule(Some("h2.example"), [path("Prefix", "/", service_backend("exact", 80))])
        .rule(None, [path("Prefix", "/", service_backend("any", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&exact, &any])),
        ("h2.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;
    let client = Pooled::http2(gateway.addr);
    let port = gateway.addr.port();

    let answer = client.get("h2.example", "/a/./b?x=1").await.unwrap();
    let seen = answer.seen();
    assert_eq!((seen.backend(), seen.target()), ("exact", "/a/b?x=1"));
    let authority = format!("h2.example:{port}");
    assert_eq!(seen.header("host"), Some(authority.as_str()));
    assert_eq!(seen.header("x-forwarded-host"), Some(authority.as_str()));
    let answer = client.get("other.example", "/y").await.unwrap();
    assert_eq!(answer.seen().backend(), "any");
    assert_eq!(client.get("h2.example", "/../x").await.unwrap().status, 400);
}
