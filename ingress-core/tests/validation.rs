//! V1-V8: validation with the API server's rules.

mod common;

use common::*;
use ingress_core::objects::{
    HttpIngressRuleValue, IngressRule, IngressServiceBackend, IngressTls, ServiceBackendPort, TypedLocalObjectReference,
};
use ingress_core::set::Applied;
use ingress_core::table::DiagnosticKind;
use ingress_core::validation::{Invalid, validate};
use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet, TableOptions};

/// The `(field, rule id)` of every error, or empty when valid.
fn errors(ingress: &Ingress) -> Vec<(String, &'static str)> {
    match validate(ingress) {
        Ok(_) => Vec::new(),
        Err(rejection) => {
            assert_eq!(rejection.object, ingress.key());
            rejection
                .errors
                .iter()
                .map(|e| (e.field.clone(), e.reason.rule()))
                .collect()
        }
    }
}

fn with_path(path: HttpIngressPath) -> Ingress {
    Ingress::new("default", "x").with_rule(None, [path])
}

fn with_host(host: &str) -> Ingress {
    Ingress::new("default", "x").with_rule(Some(host), [prefix("/", "web")])
}

fn field(field: &str, rule: &'static str) -> Vec<(String, &'static str)> {
    vec![(field.to_owned(), rule)]
}

#[test]
fn v1_rules_or_default_backend() {
    assert_eq!(errors(&Ingress::new("default", "x")), field("spec", "V1"));
    assert!(errors(&Ingress::new("default", "x").with_default_backend(svc("web"))).is_empty());
    assert!(errors(&with_path(prefix("/", "web"))).is_empty());
    // A rule with a host and no http is a rule.
    let mut hostonly = Ingress::new("default", "x");
    hostonly.spec.rules.push(IngressRule {
        host: Some("a.com".into()),
        http: None,
    });
    assert!(errors(&hostonly).is_empty());
}

#[test]
fn v2_rule_hosts() {
    for good in [
        "foo.bar.com",
        "a",
        "*.foo.com",
        "*.com",
        "1.2.3",
        "xn--bcher-kva.example",
        "a-b.c",
    ] {
        assert!(errors(&with_host(good)).is_empty(), "{good}");
    }
    for bad in [
        "Foo.com",
        "foo.com.",
        "foo.com:80",
        "*",
        "*.",
        "a.*.com",
        "*foo.com",
        "foo_bar.com",
        "-a.com",
        "a..b",
        "10.0.0.1",
        "::1",
        "[::1]",
        "café.com",
    ] {
        assert_eq!(errors(&with_host(bad)), field("spec.rules[0].host", "V2"), "{bad}");
    }
    let ip = validate(&with_host("10.0.0.1")).unwrap_err();
    assert!(matches!(ip.errors[0].reason, Invalid::HostIsIpAddress(_)));
    // The API server parses addresses sloppily: leading zeros still make one.
    for sloppy in ["010.0.0.1", "1.2.3.04"] {
        let rejected = validate(&with_host(sloppy)).unwrap_err();
        assert!(
            matches!(rejected.errors[0].reason, Invalid::HostIsIpAddress(_)),
            "{sloppy}"
        );
    }
    assert!(errors(&with_host(&format!("{}.com", "a".repeat(249)))).is_empty());
    assert_eq!(
        errors(&with_host(&format!("{}.com", "a".repeat(250)))),
        field("spec.rules[0].host", "V2")
    );
    // An empty host is no host.
    assert!(errors(&with_host("")).is_empty());
}

#[test]
fn v3_paths_and_path_types() {
    let mut no_paths = Ingress::new("default", "x");
    no_paths.spec.rules.push(IngressRule {
        host: None,
        http: Some(HttpIngressRuleValue { paths: vec![] }),
    });
    assert_eq!(errors(&no_paths), field("spec.rules[0].http.paths", "V3"));

    let mut missing = prefix("/", "web");
    missing.path_type = None;
    assert_eq!(
        errors(&with_path(missing)),
        field("spec.rules[0].http.paths[0].pathType", "V3")
    );
    for bad in ["prefix", "EXACT", "Regex", ""] {
        let path = HttpIngressPath::new("/", bad, svc("web"));
        assert_eq!(
            errors(&with_path(path)),
            field("spec.rules[0].http.paths[0].pathType", "V3"),
            "{bad}"
        );
    }
}

#[test]
fn v4_exact_and_prefix_paths() {
    let good = [
        "/", "/foo", "/foo/", "/a b", "/a?b", "/a#b", "/{x}", "/café", "/%2e", "/a.b/..c", "/..x", "/a%2e%2e",
    ];
    let bad: &[(&str, usize)] = &[
        ("", 1),
        ("foo", 1),
        ("//", 1),
        ("/a//b", 1),
        ("/a/./b", 1),
        ("/a/../b", 1),
        ("/a%2fb", 1),
        ("/a%2Fb", 1),
        ("/a/..", 1),
        ("/a/.", 1),
        ("/..", 1),
        // Several faults, each reported.
        ("/a//b/../c/.", 3),
        ("x/./", 2),
    ];
    for make in [
        HttpIngressPath::exact as fn(String, IngressBackend) -> HttpIngressPath,
        HttpIngressPath::prefix,
    ] {
        for path in good {
            assert!(errors(&with_path(make(path.into(), svc("web")))).is_empty(), "{path}");
        }
        for (path, count) in bad {
            let found = errors(&with_path(make((*path).into(), svc("web"))));
            assert_eq!(found.len(), *count, "{path}: {found:?}");
            assert!(
                found
                    .iter()
                    .all(|(f, rule)| f == "spec.rules[0].http.paths[0].path" && *rule == "V4"),
                "{path}"
            );
        }
    }
}

#[test]
fn v5_implementation_specific_paths() {
    for good in ["", "/", "/a//b/../c", "/a%2Fb", "/.*"] {
        assert!(
            errors(&with_path(implementation_specific(good, "web"))).is_empty(),
            "{good}"
        );
    }
    assert_eq!(
        errors(&with_path(implementation_specific("a", "web"))),
        field("spec.rules[0].http.paths[0].path", "V4")
    );
    let mut no_path = implementation_specific("", "web");
    no_path.path = None;
    assert!(errors(&with_path(no_path)).is_empty());
}

#[test]
fn v6_backends() {
    let base = "spec.rules[0].http.paths[0].backend";
    let case = |backend: IngressBackend| errors(&with_path(HttpIngressPath::prefix("/", backend)));
    assert_eq!(case(IngressBackend::default()), field(base, "V6"));
    let mut both = svc("web");
    both.resource = IngressBackend::resource(None, "Bucket", "b").resource;
    assert_eq!(case(both), field(base, "V6"));
    assert_eq!(
        case(IngressBackend::service("Web", 80)),
        field(&format!("{base}.service.name"), "V6")
    );
    assert_eq!(
        case(IngressBackend::service("1web", 80)),
        field(&format!("{base}.service.name"), "V6")
    );
    assert_eq!(
        case(IngressBackend::service("web.svc", 80)),
        field(&format!("{base}.service.name"), "V6")
    );
    // Port 0 is an unset number (a Go zero value): the port is missing.
    assert_eq!(
        case(IngressBackend::service("web", 0)),
        field(&format!("{base}.service.port"), "V6")
    );
    assert_eq!(
        case(IngressBackend::service("web", 65536)),
        field(&format!("{base}.service.port.number"), "V6")
    );
    assert!(case(IngressBackend::service("web", 65535)).is_empty());
    assert!(case(IngressBackend::service_port_name("web", "http")).is_empty());
    assert_eq!(
        case(IngressBackend::service_port_name("web", "HTTP")),
        field(&format!("{base}.service.port.name"), "V6")
    );
    assert_eq!(
        case(IngressBackend::service_port_name("web", "8080")),
        field(&format!("{base}.service.port.name"), "V6")
    );
    let port = |number, name: Option<&str>| IngressBackend {
        service: Some(IngressServiceBackend {
            name: "web".into(),
            port: Some(ServiceBackendPort {
                number,
                name: name.map(Into::into),
            }),
        }),
        resource: None,
    };
    assert_eq!(
        case(port(Some(80), Some("http"))),
        field(&format!("{base}.service.port"), "V6")
    );
    assert_eq!(case(port(None, None)), field(&format!("{base}.service.port"), "V6"));
    let no_port = IngressBackend {
        service: Some(IngressServiceBackend {
            name: "web".into(),
            port: None,
        }),
        resource: None,
    };
    assert_eq!(case(no_port), field(&format!("{base}.service.port"), "V6"));

    assert!(
        case(IngressBackend::resource(
            Some("k8s.example.com"),
            "StorageBucket",
            "static"
        ))
        .is_empty()
    );
    assert!(case(IngressBackend::resource(None, "ConfigMap", "x")).is_empty());
    let resource = |group: Option<&str>, kind: &str, name: &str| IngressBackend {
        service: None,
        resource: Some(TypedLocalObjectReference {
            api_group: group.map(Into::into),
            kind: kind.into(),
            name: name.into(),
        }),
    };
    assert_eq!(
        case(resource(None, "", "x")),
        field(&format!("{base}.resource.kind"), "V6")
    );
    assert_eq!(
        case(resource(None, "Kind", "")),
        field(&format!("{base}.resource.name"), "V6")
    );
    assert_eq!(
        case(resource(None, "Kind", "a/b")),
        field(&format!("{base}.resource.name"), "V6")
    );
    assert_eq!(
        case(resource(Some("Bad_Group"), "Kind", "x")),
        field(&format!("{base}.resource.apiGroup"), "V6")
    );

    let default_only = Ingress::new("default", "x").with_default_backend(IngressBackend::service("web", -1));
    assert_eq!(
        errors(&default_only),
        field("spec.defaultBackend.service.port.number", "V6")
    );
}

#[test]
fn v7_tls() {
    let tls = |hosts: &[&str], secret: Option<&str>| {
        let mut ingress = with_host("a.com");
        ingress.spec.tls.push(IngressTls {
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            secret_name: secret.map(Into::into),
        });
        errors(&ingress)
    };
    assert!(tls(&["a.com", "*.a.com"], Some("a-tls")).is_empty());
    assert!(tls(&[], None).is_empty());
    assert_eq!(tls(&["a.com", "A.com"], None), field("spec.tls[0].hosts[1]", "V7"));
    assert_eq!(tls(&["a.*.com"], None), field("spec.tls[0].hosts[0]", "V7"));
    assert_eq!(tls(&["a.com"], Some("A_tls")), field("spec.tls[0].secretName", "V7"));
    let valid = validate(&{
        let mut ingress = with_host("a.com");
        ingress.spec.tls.push(IngressTls {
            hosts: vec!["*.a.com".into()],
            secret_name: Some("a-tls".into()),
        });
        ingress
    })
    .unwrap();
    assert_eq!(valid.tls()[0].secret_name(), Some("a-tls"));
    assert_eq!(valid.tls()[0].hosts()[0].to_string(), "*.a.com");
}

#[test]
fn v8_every_error_is_reported_with_its_field() {
    let ingress = Ingress::new("shop", "broken")
        .with_rule(
            Some("Shop.example"),
            [HttpIngressPath::new(
                "cart",
                "Prefix",
                IngressBackend::service("cart", 0),
            )],
        )
        .with_rule(None, [HttpIngressPath::new("/", "Regex", svc("ok"))]);
    let rejection = validate(&ingress).unwrap_err();
    let text = rejection.to_string();
    assert!(text.starts_with("shop/broken rejected: "), "{text}");
    let fields: Vec<_> = rejection.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "spec.rules[0].host",
            "spec.rules[0].http.paths[0].path",
            "spec.rules[0].http.paths[0].backend.service.port",
            "spec.rules[1].http.paths[0].pathType",
        ]
    );
}

#[test]
fn v8_rejected_object_affects_no_other_and_keeps_its_last_valid_version() {
    let options = TableOptions::default();
    let mut set = IngressSet::new();
    let good_a = ingress("a", 1).with_rule(Some("a.com"), [prefix("/", "a-v1")]);
    let good_b = ingress("b", 2).with_rule(Some("b.com"), [prefix("/", "b")]);
    assert_eq!(set.apply(&good_a), Applied::Accepted);
    assert_eq!(set.apply(&good_b), Applied::Accepted);

    // A broken new version of `a`: `a` keeps serving v1, `b` is untouched.
    let broken_a = ingress("a", 1).with_rule(Some("A.com"), [prefix("/", "a-v2")]);
    assert_eq!(set.apply(&broken_a), Applied::Rejected { serving_previous: true });
    // A broken object never seen before: not served, nothing else changes.
    let broken_c = ingress("c", 0).with_rule(Some("b.com"), [prefix("relative", "c")]);
    assert_eq!(
        set.apply(&broken_c),
        Applied::Rejected {
            serving_previous: false
        }
    );

    let table = set.compile(&options);
    assert_eq!(answer(&table, Some("a.com"), "/"), "a-v1");
    assert_eq!(answer(&table, Some("b.com"), "/"), "b");
    let rejected: Vec<_> = table
        .report()
        .rejections()
        .map(|d| match &d.kind {
            DiagnosticKind::Rejected { serving_previous, .. } => (d.object.to_string(), *serving_previous),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        rejected,
        [("default/a".to_owned(), true), ("default/c".to_owned(), false)]
    );
    let text = table.report().to_string();
    assert!(
        text.contains("[V8] default/a: rejected, the previous valid version is still served"),
        "{text}"
    );
    assert!(text.contains("spec.rules[0].host"), "{text}");

    // Fixing `a` serves the fix and clears the rejection; removing it removes v1 too.
    let fixed_a = ingress("a", 1).with_rule(Some("a.com"), [prefix("/", "a-v3")]);
    assert_eq!(set.apply(&fixed_a), Applied::Accepted);
    assert_eq!(answer(&set.compile(&options), Some("a.com"), "/"), "a-v3");
    set.sync([&good_b, &broken_c]);
    let table = set.compile(&options);
    assert_eq!(answer(&table, Some("a.com"), "/"), "404");
    assert_eq!(table.report().rejections().count(), 1);
}
