//! The real `ingress-gateway` binary: `check` and `route` on manifests.

mod support;

use serde_json::{Value, json};
use support::*;

#[test]
fn check_seed_scenario_is_clean() {
    let output = run(&["check", "--manifests", samples("seed").to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("summary: 3 files, 1 Ingress (1 served, 0 rejected, 0 of other classes)"));
}

#[test]
fn check_reports_each_kind_of_finding_with_its_file_and_exits_1() {
    let output = run(&["check", "--manifests", samples("broken").to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output);
    let expect = [
        // A document that does not parse: file, line, document.
        "error: ",
        "broken.yaml:86:9: document 7: ",
        // Another controller's Ingress (O3).
        "ignored: ",
        "Ingress default/theirs ignored: spec.ingressClassName names class \"nginx\" of controller \"k8s.io/ingress-nginx\" [O3]",
        // A rejected object: file, object, field path, reason (V8).
        "rejected: ",
        "broken.yaml:29 (document 3): [V8] default/bad-host: rejected, not served; spec.rules[0].host:",
        "spec.rules[0].http.paths[0].path: must not contain \"//\" [V4]",
        // A conflict: loser, winner, why (M6).
        "conflict: ",
        "[M6] default/shop-copy spec.rules[0].http.paths[0]: Prefix \"/shop/\" on host shop.example is shadowed by the equal rule default/shop spec.rules[0].http.paths[0]",
        // A rule that can never match (P9).
        "unreachable: ",
        "[P9] default/shop-copy spec.rules[0].http.paths[1]: can never match",
    ];
    for line in expect {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn check_json_names_every_finding() {
    let output = run(
        &[
            "check",
            "--manifests",
            samples("broken").to_str().unwrap(),
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&text(&output)).unwrap();
    let kinds: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["rejected", "conflict", "never_matches"]);
    let rejected = &report["diagnostics"][0];
    assert_eq!(rejected["ingress"], "default/bad-host");
    assert_eq!(rejected["source"]["line"], 29);
    assert!(rejected["source"]["file"].as_str().unwrap().ends_with("broken.yaml"));
    assert_eq!(rejected["errors"][0]["field"], "spec.rules[0].host");
    assert_eq!(rejected["errors"][0]["rule"], "V2");
    let conflict = &report["diagnostics"][1];
    assert_eq!(
        conflict["winner"],
        json!({"ingress": "default/shop", "field": "spec.rules[0].http.paths[0]"})
    );
    assert_eq!(report["ignored"][0]["rule"], "O3");
    assert_eq!(report["errors"][0]["line"], 86);
    assert_eq!(report["summary"]["served"], 2);
}

#[test]
fn check_default_backend_conflicts_and_duplicates() {
    let older = IngressYaml::new("older")
        .created("2020-01-01T00:00:00Z")
        .default_backend(service_backend("a", 80));
    let newer = IngressYaml::new("newer").default_backend(service_backend("b", 80));
    let copy = IngressYaml::new("newer").default_backend(service_backend("c", 80));
    let manifests = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("a/older.yaml", &older.to_yaml()),
        ("b/newer.yaml", &newer.to_yaml()),
        ("c/newer-again.yaml", &copy.to_yaml()),
    ]);
    let output = run(&["check", "--manifests", manifests.path().to_str().unwrap()], "");
    // Conflicts and duplicates are warnings: nothing was rejected.
    assert_eq!(output.status.code(), Some(0));
    let out = text(&output);
    assert!(
        out.contains(
            "[M7] default/newer spec.defaultBackend: host * already takes the default backend of default/older"
        ),
        "{out}"
    );
    assert!(
        out.contains("warning: ") && out.contains("newer.yaml") && out.contains("the later definition is used"),
        "{out}"
    );
    // The later definition of `newer` is the one loaded (service c).
    let answer = route_one(manifests.path(), Some("any.example"), "/");
    assert_eq!(
        (answer["outcome"].as_str(), answer["service"].as_str()),
        (Some("default_backend"), Some("a"))
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["check"][..],
        &["check", "--manifests", "x", "--format", "yaml"],
        &["route", "--manifests", "x", "--host", "h"],
        &["serve-nothing"],
    ] {
        assert_eq!(run(args, "").status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn unreadable_manifests_path_exits_1() {
    let output = run(&["check", "--manifests", "/nonexistent/manifests"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/manifests"));
}

#[test]
fn route_answers_every_field() {
    let answer = route_one(&samples("seed"), Some("hello.nginx.com"), "/index.html?lang=en");
    assert_eq!(
        answer,
        json!({
            "outcome": "routed",
            "ingress": "default/example-ingress",
            "service": "nginx-svc",
            "port": 80,
            "path": "/index.html",
            "rule": {"path": "/", "pathType": "Prefix"},
            "reason": "Ingress rules name host hello.nginx.com; Prefix \"/\" of default/example-ingress matches /index.html",
        })
    );
    // The single-request form gives the same answer.
    let seed = samples("seed");
    let args = [
        "route",
        "--manifests",
        seed.to_str().unwrap(),
        "--host",
        "hello.nginx.com",
        "--target",
        "/index.html?lang=en",
    ];
    let single: Value = serde_json::from_str(text(&run(&args, "")).trim()).unwrap();
    assert_eq!(single, answer);
}

#[test]
fn route_canonicalises_as_the_server_does() {
    let seed = samples("seed");
    let requests = [
        (
            json!({"host": "HELLO.nginx.com.:80", "target": "/a/./b//c/../d"}),
            "routed",
            Some("/a/b/d"),
        ),
        (
            json!({"host": "hello.nginx.com", "target": "http://hello.nginx.com/x?q"}),
            "routed",
            Some("/x"),
        ),
        (
            json!({"host": "other.org", "target": "http://hello.nginx.com/x"}),
            "bad_request",
            None,
        ),
        (
            json!({"host": null, "target": "http://hello.nginx.com/x"}),
            "routed",
            Some("/x"),
        ),
        (json!({"host": null, "target": "/"}), "not_found", Some("/")),
        (json!({"host": "10.0.0.1", "target": "/"}), "not_found", Some("/")),
        (
            json!({"host": "hello.nginx.com", "target": "/../etc/passwd"}),
            "bad_request",
            None,
        ),
        (
            json!({"host": "hello.nginx.com", "target": "/a%2Fb"}),
            "bad_request",
            None,
        ),
        (
            json!({"host": "hello.nginx.com", "target": "/a b"}),
            "bad_request",
            None,
        ),
        (json!({"host": "a..b", "target": "/"}), "bad_request", None),
        (
            json!({"host": "hello.nginx.com", "target": format!("/{}", "a".repeat(9000))}),
            "uri_too_long",
            None,
        ),
        (
            json!({"host": "hello.nginx.com", "target": "*", "method": "OPTIONS"}),
            "not_found",
            None,
        ),
        (json!({"host": "hello.nginx.com", "target": "*"}), "bad_request", None),
    ];
    let answers = route(
        &seed,
        &[],
        &requests.iter().map(|(r, _, _)| r.clone()).collect::<Vec<_>>(),
    );
    assert_eq!(answers.len(), requests.len());
    for ((request, outcome, path), answer) in requests.iter().zip(&answers) {
        assert_eq!(answer["outcome"], *outcome, "{request} -> {answer}");
        assert_eq!(answer["path"].as_str(), *path, "{request} -> {answer}");
        assert!(!answer["reason"].as_str().unwrap().is_empty());
    }
    assert!(answers[6]["reason"].as_str().unwrap().ends_with("[P4]"));
}

#[test]
fn route_keeps_input_order_and_flags_bad_lines() {
    let input = "{\"host\": \"hello.nginx.com\", \"target\": \"/1\"}\nnot json\n\n{\"host\": \"hello.nginx.com\", \"target\": \"/2\"}\n";
    let output = run(&["route", "--manifests", samples("seed").to_str().unwrap()], input);
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<Value> = text(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["path"], "/1");
    assert!(lines[1]["error"].as_str().unwrap().starts_with("line 2: "));
    assert_eq!(lines[2]["path"], "/2");
}

#[test]
fn route_fanout_and_wildcard_samples() {
    let fanout = samples("fanout");
    let cases = [
        (Some("foo.bar.com"), "/foo", Some("service1"), Some(4200)),
        (Some("foo.bar.com"), "/bar/baz", Some("service2"), Some(8080)),
        (Some("foo.bar.com"), "/foobar", None, None),
    ];
    for (host, target, service, port) in cases {
        let answer = route_one(&fanout, host, target);
        assert_eq!(answer["service"].as_str(), service, "{target}: {answer}");
        assert_eq!(answer["port"].as_u64(), port);
    }
    let wildcard = samples("wildcard");
    let cases = [
        (Some("foo.bar.com"), "/bar", Some("service1")),
        (Some("baz.foo.com"), "/foo", Some("service2")),
        (Some("foo.com"), "/foo", None),
        (Some("a.baz.foo.com"), "/foo", None),
    ];
    for (host, target, service) in cases {
        let answer = route_one(&wildcard, host, target);
        assert_eq!(answer["service"].as_str(), service, "{host:?} {target}: {answer}");
    }
    let answer = route_one(&wildcard, Some("baz.foo.com"), "/foo");
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .starts_with("host baz.foo.com is covered by the wildcard *.foo.com")
    );
}

/// Section 7 of the contract: the docs' examples table, through manifests.
#[test]
fn route_section7_docs_examples_table() {
    type Row = (
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
        Option<&'static str>,
    );
    let rows: &[Row] = &[
        (&[("Prefix", "/")], &["/", "/anything"], Some("/")),
        (&[("Exact", "/foo")], &["/foo"], Some("/foo")),
        (&[("Exact", "/foo")], &["/bar", "/foo/"], None),
        (&[("Exact", "/foo/")], &["/foo"], None),
        (&[("Prefix", "/foo")], &["/foo", "/foo/"], Some("/foo")),
        (&[("Prefix", "/foo/")], &["/foo", "/foo/"], Some("/foo/")),
        (&[("Prefix", "/aaa/bb")], &["/aaa/bbb"], None),
        (
            &[("Prefix", "/aaa/bbb")],
            &["/aaa/bbb", "/aaa/bbb/", "/aaa/bbb/ccc"],
            Some("/aaa/bbb"),
        ),
        (&[("Prefix", "/aaa/bbb/")], &["/aaa/bbb"], Some("/aaa/bbb/")),
        (&[("Prefix", "/aaa/bbb")], &["/aaa/bbbxyz"], None),
        (&[("Prefix", "/"), ("Prefix", "/aaa")], &["/aaa/ccc"], Some("/aaa")),
        (
            &[("Prefix", "/"), ("Prefix", "/aaa"), ("Prefix", "/aaa/bbb")],
            &["/aaa/bbb"],
            Some("/aaa/bbb"),
        ),
        (
            &[("Prefix", "/"), ("Prefix", "/aaa"), ("Prefix", "/aaa/bbb")],
            &["/ccc"],
            Some("/"),
        ),
        (&[("Prefix", "/aaa")], &["/ccc"], None),
        (&[("Prefix", "/foo"), ("Exact", "/foo")], &["/foo"], Some("/foo")),
    ];
    for (paths, requests, expected) in rows {
        let ingress = IngressYaml::new("ex").rule(
            Some("foo.bar.com"),
            paths
                .iter()
                .map(|(kind, value)| path(kind, value, service_backend("web", 80))),
        );
        let manifests = ManifestDir::with_files(&[
            ("class.yaml", &our_default_class()),
            ("ingress.yaml", &ingress.to_yaml()),
        ]);
        for request in *requests {
            let answer = route_one(manifests.path(), Some("foo.bar.com"), request);
            assert_eq!(
                answer["rule"]["path"].as_str(),
                *expected,
                "{paths:?} {request}: {answer}"
            );
        }
    }
    // Prefix /foo and Exact /foo: the Exact rule wins.
    let ingress = IngressYaml::new("ex").rule(
        Some("foo.bar.com"),
        [
            path("Prefix", "/foo", service_backend("prefix", 80)),
            path("Exact", "/foo", service_backend("exact", 80)),
        ],
    );
    let manifests = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("ingress.yaml", &ingress.to_yaml()),
    ]);
    let answer = route_one(manifests.path(), Some("foo.bar.com"), "/foo");
    assert_eq!(answer["service"], "exact");
    assert!(
        answer["reason"].as_str().unwrap().contains("Exact beats Prefix"),
        "{answer}"
    );
}
