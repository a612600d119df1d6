//! M1-M9, H4 and P9 through a compiled table.

mod common;

use common::*;
use ingress_core::canonical::{PathOptions, RequestError, RequestHost};
use ingress_core::objects::IngressRule;
use ingress_core::table::{DiagnosticKind, ImplementationSpecific, MatchKind, Matched, Unmatchable};
use ingress_core::validation::{HostRule, PathType};
use ingress_core::{Backend, IngressBackend, IngressSet, Outcome, RouteTable, TableOptions};

fn table(ingresses: impl IntoIterator<Item = ingress_core::Ingress>) -> RouteTable {
    RouteTable::from_ingresses(ingresses, &TableOptions::default())
}

#[test]
fn m1_exact_host_then_wildcard_then_host_less() {
    let t = table([
        ingress("exact", 1).with_rule(Some("foo.bar.com"), [prefix("/", "exact")]),
        ingress("wild", 1).with_rule(Some("*.bar.com"), [prefix("/", "wild")]),
        ingress("any", 1).with_rule(None, [prefix("/", "any")]),
    ]);
    let cases = [
        ("foo.bar.com", "exact"),
        ("FOO.bar.com.:8080", "exact"),
        ("baz.bar.com", "wild"),
        // One label only: neither the parent nor two labels deep.
        ("bar.com", "any"),
        ("a.baz.bar.com", "any"),
        ("other.org", "any"),
        ("localhost", "any"),
    ];
    for (host, expected) in cases {
        assert_eq!(answer(&t, Some(host), "/x"), expected, "{host}");
    }
    assert_eq!(answer(&t, None, "/x"), "any");
}

#[test]
fn m1_rules_for_one_host_merge_across_ingresses() {
    let t = table([
        ingress("one", 1).with_rule(Some("a.com"), [prefix("/api", "api")]),
        ingress("two", 2).with_rule(Some("a.com"), [prefix("/", "web"), exact("/health", "health")]),
    ]);
    assert_eq!(answer(&t, Some("a.com"), "/api/v1"), "api");
    assert_eq!(answer(&t, Some("a.com"), "/health"), "health");
    assert_eq!(answer(&t, Some("a.com"), "/other"), "web");
}

#[test]
fn m2_no_fallthrough_between_levels() {
    let ingresses = [
        ingress("exact", 1).with_rule(Some("a.foo.com"), [prefix("/api", "exact-api")]),
        ingress("wild", 1).with_rule(Some("*.foo.com"), [prefix("/static", "wild-static")]),
        ingress("any", 1)
            .with_rule(None, [prefix("/", "any")])
            .with_default_backend(svc("any-default")),
    ];
    let strict = table(ingresses.clone());
    // The exact level is chosen and has no /static rule: 404, not the wildcard.
    assert_eq!(answer(&strict, Some("a.foo.com"), "/static/x"), "404");
    assert_eq!(answer(&strict, Some("b.foo.com"), "/api"), "404");
    assert_eq!(answer(&strict, Some("a.foo.com"), "/api"), "exact-api");

    let merged = RouteTable::from_ingresses(ingresses, &TableOptions::default().with_fallthrough(true));
    assert_eq!(answer(&merged, Some("a.foo.com"), "/static/x"), "wild-static");
    assert_eq!(answer(&merged, Some("a.foo.com"), "/other"), "any");
    assert_eq!(answer(&merged, Some("a.foo.com"), "/api"), "exact-api");
}

#[test]
fn m2_fallthrough_defaults_come_from_the_most_specific_level_that_has_one() {
    let ingresses = [
        ingress("exact", 1)
            .with_rule(Some("a.foo.com"), [exact("/x", "x")])
            .with_default_backend(svc("exact-default")),
        ingress("wild", 2)
            .with_rule(Some("*.foo.com"), [exact("/y", "y")])
            .with_default_backend(svc("wild-default")),
    ];
    let merged = RouteTable::from_ingresses(ingresses, &TableOptions::default().with_fallthrough(true));
    assert_eq!(answer(&merged, Some("a.foo.com"), "/y"), "y");
    assert_eq!(answer(&merged, Some("a.foo.com"), "/z"), "default:exact-default");
    assert_eq!(answer(&merged, Some("b.foo.com"), "/z"), "default:wild-default");
}

#[test]
fn m3_exact_is_byte_for_byte() {
    let t = table([ingress("a", 1).with_rule(None, [exact("/foo", "foo"), exact("/Bar/", "bar")])]);
    let cases = [
        ("/foo", "foo"),
        ("/foo/", "404"),
        ("/FOO", "404"),
        ("/fo", "404"),
        ("/foo?x=1", "foo"),
        ("/./foo", "foo"),
        ("/%66oo", "foo"),
        ("/Bar/", "bar"),
        ("/Bar", "404"),
    ];
    for (target, expected) in cases {
        assert_eq!(answer(&t, Some("h"), target), expected, "{target}");
    }
}

#[test]
fn m4_prefix_is_element_wise() {
    let t = table([ingress("a", 1).with_rule(None, [prefix("/foo", "foo"), prefix("/aaa/bbb/", "bbb")])]);
    let cases = [
        ("/foo", "foo"),
        ("/foo/", "foo"),
        ("/foo/bar", "foo"),
        ("/foobar", "404"),
        ("/FOO", "404"),
        ("/aaa/bbb", "bbb"),
        ("/aaa/bbb/ccc", "bbb"),
        ("/aaa/bbbxyz", "404"),
        ("/aaa", "404"),
    ];
    for (target, expected) in cases {
        assert_eq!(answer(&t, Some("h"), target), expected, "{target}");
    }
    let root = table([ingress("a", 1).with_rule(None, [prefix("/", "root")])]);
    for target in ["/", "/x", "/x/y/", "/%7E"] {
        assert_eq!(answer(&root, Some("h"), target), "root", "{target}");
    }
}

#[test]
fn m5_exact_beats_prefix_and_longest_prefix_wins() {
    let t = table([
        ingress("a", 1).with_rule(
            None,
            [
                prefix("/", "root"),
                prefix("/api", "api"),
                prefix("/api/v1/users", "users"),
            ],
        ),
        ingress("b", 2).with_rule(None, [exact("/api/v1/users", "users-exact"), prefix("/api/v1", "v1")]),
    ]);
    let cases = [
        ("/api/v1/users", "users-exact"),
        ("/api/v1/users/", "users"),
        ("/api/v1/users/7", "users"),
        ("/api/v1/x", "v1"),
        ("/api/v2", "api"),
        ("/apiv1", "root"),
    ];
    for (target, expected) in cases {
        assert_eq!(answer(&t, Some("h"), target), expected, "{target}");
    }
}

#[test]
fn m5_m6_equal_rules_conflict_and_the_older_wins() {
    let t = table([
        // Newer, but listed first: order of input does not matter.
        ingress("newer", 20).with_rule(Some("a.com"), [prefix("/foo/", "newer")]),
        ingress("older", 10).with_rule(Some("a.com"), [prefix("/foo", "older"), prefix("/foo/", "older-dup")]),
        ingress("same-time-b", 15).with_rule(Some("a.com"), [exact("/x", "b")]),
        ingress("same-time-a", 15).with_rule(Some("a.com"), [exact("/x", "a")]),
    ]);
    assert_eq!(answer(&t, Some("a.com"), "/foo/bar"), "older");
    assert_eq!(answer(&t, Some("a.com"), "/x"), "a");
    let conflicts: Vec<_> = t
        .report()
        .diagnostics()
        .iter()
        .filter_map(|d| match &d.kind {
            DiagnosticKind::Conflict {
                field, path, winner, ..
            } => Some(format!("{} {field} {path} < {winner}", d.object)),
            _ => None,
        })
        .collect();
    assert_eq!(
        conflicts,
        [
            // Position breaks the tie inside one object.
            "default/older spec.rules[0].http.paths[1] /foo/ < default/older spec.rules[0].http.paths[0]",
            // Name breaks the tie between objects created at the same time.
            "default/same-time-b spec.rules[0].http.paths[0] /x < default/same-time-a spec.rules[0].http.paths[0]",
            "default/newer spec.rules[0].http.paths[0] /foo/ < default/older spec.rules[0].http.paths[0]",
        ]
    );
    assert!(t.report().diagnostics().iter().all(|d| d.kind.rule() == "M6"));
}

#[test]
fn m6_ties_go_to_the_smaller_namespace_name_string() {
    // As strings `a-b/x` < `a/x` ('-' sorts before '/'), though namespace
    // `a` sorts before `a-b`.
    let mut first = ingress("x", 5).with_rule(None, [prefix("/", "in-a")]);
    first.namespace = "a".into();
    let mut second = ingress("x", 5).with_rule(None, [prefix("/", "in-a-b")]);
    second.namespace = "a-b".into();
    assert_eq!(answer(&table([first, second]), Some("h"), "/"), "in-a-b");
}

#[test]
fn m6_objects_without_creation_time_count_as_newest() {
    let mut undated = ingress("aaa", 0).with_rule(None, [prefix("/", "undated")]);
    undated.creation_timestamp = None;
    let dated = ingress("zzz", 1_000_000).with_rule(None, [prefix("/", "dated")]);
    assert_eq!(answer(&table([undated, dated]), Some("h"), "/"), "dated");
}

#[test]
fn m7_default_backends() {
    let t = table([
        // Fallback of every level it has rules for.
        ingress("shop", 1)
            .with_rule(Some("shop.com"), [prefix("/cart", "cart")])
            .with_rule(Some("*.shop.com"), [prefix("/img", "img")])
            .with_default_backend(svc("shop-default")),
        // No rules: fallback of the host-less level.
        ingress("catch-all", 2).with_default_backend(svc("catch-all")),
        // A host rule without http: everything for that host to its default.
        {
            let mut docs = ingress("docs", 3).with_default_backend(svc("docs-default"));
            docs.spec.rules.push(IngressRule {
                host: Some("docs.com".into()),
                http: None,
            });
            docs
        },
        // A host rule without http and no default backend: 404 for that host.
        {
            let mut dark = ingress("dark", 4);
            dark.spec.rules.push(IngressRule {
                host: Some("dark.com".into()),
                http: None,
            });
            dark
        },
    ]);
    let cases = [
        (Some("shop.com"), "/cart/1", "cart"),
        (Some("shop.com"), "/other", "default:shop-default"),
        (Some("eu.shop.com"), "/other", "default:shop-default"),
        (Some("docs.com"), "/anything", "default:docs-default"),
        (Some("dark.com"), "/anything", "404"),
        // The shop's default backend is not the host-less fallback.
        (Some("unknown.org"), "/", "default:catch-all"),
        (None, "/", "default:catch-all"),
    ];
    for (host, target, expected) in cases {
        assert_eq!(answer(&t, host, target), expected, "{host:?} {target}");
    }
    // Every method and path goes to a default backend.
    let head = ingress_core::RequestHead::new("DELETE", ingress_core::HttpVersion::Http11, "/x/y?z")
        .with_host(ingress_core::HostHeader::One(b"docs.com"));
    assert_eq!(describe(&t.route_request(&head)), "default:docs-default");
}

#[test]
fn m7_competing_default_backends_follow_m6_and_are_reported() {
    let t = table([
        ingress("late", 9).with_default_backend(svc("late")),
        ingress("early", 1).with_default_backend(svc("early")),
        ingress("host-late", 9)
            .with_rule(Some("a.com"), [exact("/x", "x")])
            .with_default_backend(svc("host-late")),
        ingress("host-early", 1)
            .with_rule(Some("a.com"), [exact("/y", "y")])
            .with_default_backend(svc("host-early")),
    ]);
    assert_eq!(answer(&t, Some("b.com"), "/"), "default:early");
    assert_eq!(answer(&t, Some("a.com"), "/z"), "default:host-early");
    let lost: Vec<_> = t
        .report()
        .diagnostics()
        .iter()
        .filter_map(|d| match &d.kind {
            DiagnosticKind::DefaultBackendConflict { level, winner } => Some(format!("{} {level} {winner}", d.object)),
            _ => None,
        })
        .collect();
    assert_eq!(
        lost,
        [
            "default/host-late a.com default/host-early",
            "default/late * default/early"
        ]
    );
}

#[test]
fn m8_implementation_specific_policies() {
    let rules = || {
        [ingress("a", 1).with_rule(
            None,
            [
                implementation_specific("/foo", "foo"),
                implementation_specific("", "root"),
            ],
        )]
    };
    let as_prefix = table(rules());
    assert_eq!(answer(&as_prefix, Some("h"), "/foo/bar"), "foo");
    assert_eq!(answer(&as_prefix, Some("h"), "/other"), "root");
    let exact_options = TableOptions::default().with_implementation_specific(ImplementationSpecific::Exact);
    let as_exact = RouteTable::from_ingresses(rules(), &exact_options);
    assert_eq!(answer(&as_exact, Some("h"), "/foo"), "foo");
    assert_eq!(answer(&as_exact, Some("h"), "/foo/bar"), "404");
    assert_eq!(answer(&as_exact, Some("h"), "/"), "root");
    assert_eq!(answer(&as_exact, Some("h"), "/other"), "404");
    assert_eq!(
        exact_options.match_kind(PathType::ImplementationSpecific),
        MatchKind::Exact
    );

    // Under the Prefix policy it is equal to a Prefix rule with the same path.
    let t = table([
        ingress("a", 1).with_rule(None, [implementation_specific("/foo", "impl")]),
        ingress("b", 2).with_rule(None, [prefix("/foo/", "prefix")]),
    ]);
    assert_eq!(answer(&t, Some("h"), "/foo"), "impl");
    assert_eq!(t.report().diagnostics().len(), 1);
}

#[test]
fn m9_resource_backends_are_carried_as_data() {
    let t = table([ingress("a", 1).with_rule(
        None,
        [ingress_core::HttpIngressPath::prefix(
            "/static",
            IngressBackend::resource(Some("k8s.example.com"), "StorageBucket", "static-assets"),
        )],
    )]);
    let route = t.find(&RequestHost::None, &canon("/static/logo.png")).unwrap();
    let Backend::Resource(resource) = route.backend() else {
        panic!("{route:?}");
    };
    assert_eq!(&*resource.kind, "StorageBucket");
    assert_eq!(resource.api_group.as_deref(), Some("k8s.example.com"));
    assert_eq!(&*resource.name, "static-assets");
    assert_eq!(&*resource.namespace, "default");
}

#[test]
fn h4_ip_literals_use_host_less_rules() {
    let t = table([
        ingress("named", 1).with_rule(Some("a.com"), [prefix("/", "named")]),
        ingress("any", 1).with_rule(None, [prefix("/", "any")]),
    ]);
    for host in ["10.0.0.1", "10.0.0.1:8080", "[::1]", "[::1]:80"] {
        assert_eq!(answer(&t, Some(host), "/"), "any", "{host}");
    }
    let only_named = table([ingress("named", 1).with_rule(Some("a.com"), [prefix("/", "named")])]);
    assert_eq!(answer(&only_named, Some("10.0.0.1"), "/"), "404");
}

#[test]
fn refused_requests_never_reach_a_backend() {
    let t = table([ingress("a", 1).with_default_backend(svc("everything"))]);
    let long = format!("/{}", "a".repeat(9000));
    let cases = [
        (Some("a..com"), "/", "400"),
        (Some("a.com"), "/../x", "400"),
        (Some("a.com"), "/a%2Fb", "400"),
        (Some("a.com"), "/a%00", "400"),
        (Some("a.com"), long.as_str(), "414"),
        (Some("a.com"), "/ok", "default:everything"),
    ];
    for (host, target, expected) in cases {
        assert_eq!(answer(&t, host, target), expected, "{host:?} {target}");
    }
}

#[test]
fn routes_carry_ingress_rule_level_and_canonical_path() {
    let t = table([ingress("web", 1).with_rule(Some("*.shop.com"), [prefix("/a|b/", "ab")])]);
    let head = ingress_core::RequestHead::new("GET", ingress_core::HttpVersion::Http11, "/a%7cb//c/./d?q=1")
        .with_host(ingress_core::HostHeader::One(b"EU.shop.com"));
    let Outcome::Routed(route) = t.route_request(&head) else {
        panic!()
    };
    assert_eq!(route.ingress().to_string(), "default/web");
    assert_eq!(route.level(), &HostRule::Wildcard("shop.com".into()));
    assert_eq!(route.host(), &RequestHost::Name("eu.shop.com".into()));
    assert_eq!(route.path().as_str(), "/a%7Cb/c/d");
    let Matched::Rule(rule) = route.matched() else { panic!() };
    assert_eq!(
        (&*rule.path, rule.path_type, rule.matched_path().as_str()),
        ("/a|b/", PathType::Prefix, "/a%7Cb")
    );
    assert_eq!(rule.field(), "spec.rules[0].http.paths[0]");
}

#[test]
fn not_found_names_the_chosen_level() {
    let t = table([ingress("a", 1).with_rule(Some("*.a.com"), [exact("/x", "x")])]);
    let head = ingress_core::RequestHead::new("GET", ingress_core::HttpVersion::Http11, "/y")
        .with_host(ingress_core::HostHeader::One(b"b.a.com"));
    let Outcome::NotFound(not_found) = t.route_request(&head) else {
        panic!()
    };
    assert_eq!(not_found.level, Some(HostRule::Wildcard("a.com".into())));
    assert_eq!(t.selected_level(&RequestHost::Name("zzz".into())), None);
}

#[test]
fn p9_configured_paths_match_their_canonical_requests() {
    let t = table([ingress("a", 1).with_rule(
        None,
        [
            prefix("/hello world", "space"),
            exact("/caf\u{e9}", "cafe"),
            prefix("/%7Euser", "tilde"),
        ],
    )]);
    assert_eq!(answer(&t, Some("h"), "/hello%20world/x"), "space");
    assert_eq!(answer(&t, Some("h"), "/caf%c3%a9"), "cafe");
    assert_eq!(answer(&t, Some("h"), "/~user/x"), "tilde");
    assert_eq!(answer(&t, Some("h"), "/%7euser"), "tilde");
}

#[test]
fn p9_h3_rules_that_can_never_match_are_reported() {
    let long_label = format!("{}.com", "a".repeat(64));
    let t = table([
        ingress("a", 1).with_rule(
            None,
            [
                implementation_specific("/x/%2e%2e/y", "dots"),
                implementation_specific("/x//y", "slashes"),
                exact("/%0A", "control"),
                implementation_specific("/a%2Fb", "slash"),
                prefix("/ok", "ok"),
            ],
        ),
        ingress("b", 1).with_rule(Some(&long_label), [prefix("/", "long")]),
        ingress("c", 1).with_rule(Some("1.2.3"), [prefix("/", "numeric")]),
    ]);
    let never: Vec<_> = t
        .report()
        .diagnostics()
        .iter()
        .filter_map(|d| match &d.kind {
            DiagnosticKind::NeverMatches { field, reason } => {
                Some((d.object.name().to_owned(), field.clone(), reason.clone()))
            }
            _ => None,
        })
        .collect();
    let fields: Vec<_> = never.iter().map(|(o, f, _)| format!("{o} {f}")).collect();
    assert_eq!(
        fields,
        [
            "a spec.rules[0].http.paths[0]",
            "a spec.rules[0].http.paths[1]",
            "a spec.rules[0].http.paths[2]",
            "a spec.rules[0].http.paths[3]",
            "b spec.rules[0].host",
            "c spec.rules[0].host",
        ]
    );
    assert_eq!(
        never[0].2,
        Unmatchable::Path {
            normalized: "/x/../y".into(),
            request: Ok("/y".into())
        }
    );
    assert_eq!(never[4].2, Unmatchable::Host(RequestError::HostTooLong));
    assert_eq!(never[5].2, Unmatchable::Host(RequestError::MalformedIpLiteral));
    assert_eq!(answer(&t, Some("h"), "/ok"), "ok");
    assert_eq!(answer(&t, Some("h"), "/y"), "404");

    // With encoded slashes kept, the `%2F` rule can match.
    let keep = TableOptions::default()
        .with_path(PathOptions::default().with_encoded_slashes(ingress_core::canonical::EncodedSlashes::Keep));
    let kept = RouteTable::from_ingresses(
        [ingress("a", 1).with_rule(None, [implementation_specific("/a%2fb", "slash")])],
        &keep,
    );
    assert!(kept.report().is_empty());
    assert_eq!(answer(&kept, Some("h"), "/a%2Fb/c"), "slash");
}

#[test]
fn same_input_in_any_order_builds_the_same_table_and_report() {
    let ingresses = vec![
        ingress("a", 3).with_rule(Some("a.com"), [prefix("/", "a"), exact("/x", "ax")]),
        ingress("b", 1)
            .with_rule(Some("a.com"), [prefix("/", "b")])
            .with_default_backend(svc("bd")),
        ingress("c", 2)
            .with_rule(Some("*.a.com"), [prefix("/c", "c")])
            .with_default_backend(svc("cd")),
        ingress("d", 2).with_rule(None, [implementation_specific("", "d")]),
        ingress("e", 2).with_rule(None, [prefix("/e", "e"), prefix("/e/", "e2")]),
        ingress("bad", 2).with_rule(Some("BAD"), [prefix("/", "bad")]),
    ];
    let forward = table(ingresses.clone());
    let mut reversed = ingresses.clone();
    reversed.reverse();
    let mut rotated = ingresses;
    rotated.rotate_left(2);
    assert_eq!(forward, table(reversed));
    assert_eq!(forward, table(rotated));
    assert!(!forward.report().is_empty());
}

#[test]
fn map_backends_routes_to_application_values() {
    #[derive(Debug, Clone, PartialEq)]
    enum Handler {
        Api,
        Web,
    }
    let mut set = IngressSet::new();
    set.apply(&ingress("a", 1).with_rule(None, [prefix("/api", "api"), prefix("/", "web")]));
    let table = set.compile_with(&TableOptions::default(), |backend| match backend {
        Backend::Service(s) if &*s.name == "api" => Handler::Api,
        _ => Handler::Web,
    });
    assert_eq!(
        table.find(&RequestHost::None, &canon("/api/x")).map(|t| t.backend()),
        Some(&Handler::Api)
    );
    assert_eq!(
        table.find(&RequestHost::None, &canon("/x")).map(|t| t.backend()),
        Some(&Handler::Web)
    );
    let names = table.map_backends(|h| format!("{h:?}"));
    assert_eq!(
        names
            .find(&RequestHost::None, &canon("/api"))
            .map(|t| t.backend().as_str()),
        Some("Api")
    );
}

#[test]
fn regression_encoded_question_marks_count_in_full_against_the_limit() {
    // A raw `?` starts the query, so `%3F` is the shortest way to send one.
    let options = TableOptions::default().with_path(PathOptions::default().with_max_length(8));
    let t = RouteTable::from_ingresses(
        [ingress("web", 1).with_rule(None, [exact("/a?b?c?d", "web")])],
        &options,
    );
    assert_eq!(t.report().diagnostics().len(), 1, "{}", t.report());
    assert_eq!(t.report().diagnostics()[0].kind.rule(), "P9");
}

#[test]
fn regression_rule_longer_than_the_limit_only_once_encoded_still_routes() {
    // Found by the match_differential fuzz target: the rule's canonical form
    // (27 bytes) is over the limit, the request a client sends (15) is not.
    let options = TableOptions::default().with_path(PathOptions::default().with_max_length(24));
    let t = RouteTable::from_ingresses(
        [ingress("web", 1).with_rule(None, [exact("/{id}/{id}/{id}", "web")])],
        &options,
    );
    assert!(t.report().is_empty(), "{}", t.report());
    assert_eq!(answer(&t, Some("h"), "/{id}/{id}/{id}"), "web");
    assert_eq!(answer(&t, Some("h"), "/%7Bid%7D/{id}/{id}"), "web");
    assert_eq!(answer(&t, Some("h"), "/%7Bid%7D/%7Bid%7D/%7Bid%7D"), "414");
}
