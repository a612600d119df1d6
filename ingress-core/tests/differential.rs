//! The compiled table against two oracles, on random rule sets and requests:
//! the reference matcher written from the contract's text (every feature),
//! and matchit (the Exact/Prefix subset of one host level).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ingress_core::canonical::{
    EncodedSlashes, HostSources, PathOptions, PathProfile, RequestHost, canonicalize_path, select_host,
};
use ingress_core::objects::{IngressRule, ObjectKey};
use ingress_core::reference::{ReferenceMatch, ReferenceMatcher};
use ingress_core::table::ImplementationSpecific;
use ingress_core::{
    HostHeader, HttpIngressPath, HttpVersion, Ingress, IngressBackend, IngressSet, RouteTable, TableOptions,
};
use proptest::prelude::*;
use proptest::sample::select;

const RULE_HOSTS: &[Option<&str>] = &[None, Some("a.com"), Some("b.a.com"), Some("*.a.com"), Some("*.b.a.com")];
const REQUEST_HOSTS: &[Option<&str>] = &[
    None,
    Some("a.com"),
    Some("b.a.com"),
    Some("c.a.com"),
    Some("x.b.a.com"),
    Some("a.b.a.com"),
    Some("A.COM."),
    Some("other.org"),
    Some("10.0.0.1"),
];
/// Segments chosen to collide: shared prefixes, case, encodings, dots.
const SEGMENTS: &[&str] = &[
    "a", "ab", "b", "A", "%61", "%2e", ".", "..", "", "x y", "|", "%7E", "~", "%2F", "%zz",
];
const TYPES: &[&str] = &["Exact", "Prefix", "ImplementationSpecific"];

fn path() -> impl Strategy<Value = String> {
    (prop::collection::vec(select(SEGMENTS), 0..4), any::<bool>()).prop_map(|(segments, trailing)| {
        let mut path = format!("/{}", segments.join("/"));
        if trailing && path.len() > 1 {
            path.push('/');
        }
        path
    })
}

fn http_path() -> impl Strategy<Value = HttpIngressPath> {
    (path(), select(TYPES), 0..6u8).prop_map(|(path, path_type, service)| {
        HttpIngressPath::new(path, path_type, IngressBackend::service(format!("s{service}"), 80))
    })
}

fn rule() -> impl Strategy<Value = IngressRule> {
    (
        select(RULE_HOSTS),
        prop::option::weighted(0.9, prop::collection::vec(http_path(), 1..5)),
    )
        .prop_map(|(host, paths)| IngressRule {
            host: host.map(str::to_owned),
            http: paths.map(|paths| ingress_core::objects::HttpIngressRuleValue { paths }),
        })
}

fn ingress() -> impl Strategy<Value = Ingress> {
    (
        select(&["a", "b", "c", "d", "e"][..]),
        prop::option::of(0..3u64),
        prop::collection::vec(rule(), 0..4),
        prop::option::weighted(0.3, 0..3u8),
    )
        .prop_map(|(name, created, rules, default)| {
            let mut ingress = Ingress::new("ns", name);
            ingress.creation_timestamp = created.map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
            ingress.spec.rules = rules;
            ingress.spec.default_backend = default.map(|d| IngressBackend::service(format!("d{d}"), 80));
            ingress
        })
}

fn options() -> impl Strategy<Value = TableOptions> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(fallthrough, exact, raw, keep, short)| {
            // A short limit makes P7 meet long canonical forms (`|` -> `%7C`).
            let path = PathOptions::default()
                .with_max_length(if short {
                    12
                } else {
                    ingress_core::canonical::DEFAULT_MAX_PATH_LENGTH
                })
                .with_profile(if raw { PathProfile::Raw } else { PathProfile::Safe })
                .with_encoded_slashes(if keep {
                    EncodedSlashes::Keep
                } else {
                    EncodedSlashes::Refuse
                });
            TableOptions::default()
                .with_fallthrough(fallthrough)
                .with_implementation_specific(if exact {
                    ImplementationSpecific::Exact
                } else {
                    ImplementationSpecific::Prefix
                })
                .with_path(path)
        })
}

fn request_host(host: Option<&str>) -> RequestHost {
    let sources = HostSources {
        version: if host.is_some() {
            HttpVersion::Http11
        } else {
            HttpVersion::Http10
        },
        target: None,
        pseudo: None,
        host: host.map_or(HostHeader::Absent, |h| HostHeader::One(h.as_bytes())),
    };
    select_host(&sources).expect("request hosts in the pool are valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The fast table and the linear reference agree on every request.
    #[test]
    fn table_agrees_with_reference(
        ingresses in prop::collection::vec(ingress(), 0..6),
        options in options(),
        requests in prop::collection::vec((select(REQUEST_HOSTS), path()), 1..24),
    ) {
        let mut set = IngressSet::new();
        for ingress in &ingresses {
            set.apply(ingress);
        }
        let table = set.compile(&options);
        let reference = ReferenceMatcher::new(set.serving(), &options);
        for (host, path) in requests {
            let host = request_host(host);
            let Ok(path) = canonicalize_path(&path, &options.path) else { continue };
            let fast = table.find(&host, &path).map(|t| ReferenceMatch::of(t));
            let slow = reference.route(&host, path.as_str());
            prop_assert_eq!(fast, slow, "host {:?} path {:?}", host, path);
        }
    }

    /// Input order never changes the table or the report.
    #[test]
    fn order_does_not_matter(ingresses in prop::collection::vec(ingress(), 0..6), options in options()) {
        let mut unique: Vec<Ingress> = Vec::new();
        for ingress in ingresses {
            unique.retain(|other| other.key() != ingress.key());
            unique.push(ingress);
        }
        let forward = RouteTable::from_ingresses(unique.clone(), &options);
        unique.reverse();
        prop_assert_eq!(forward, RouteTable::from_ingresses(unique, &options));
    }
}

/// matchit routes for the Exact/Prefix subset: Prefix `P` becomes `P`,
/// `P/` and `P/{*rest}` (braces never occur: canonical paths encode them).
/// Routes go in precedence order and a route already taken is skipped, so
/// that the first claimant wins as M5 and M6 say.
fn matchit_router(set: &IngressSet) -> matchit::Router<(String, u32, u32)> {
    let mut ingresses: Vec<_> = set.serving().collect();
    ingresses.sort_by_key(|i| {
        (
            i.creation_timestamp().is_none(),
            i.creation_timestamp(),
            i.key().clone(),
        )
    });
    let mut exact = Vec::new();
    let mut prefix = Vec::new();
    for ingress in &ingresses {
        for (r, rule) in ingress.rules().iter().enumerate() {
            for (p, path) in rule.paths().unwrap_or_default().iter().enumerate() {
                let id = (
                    ingress.key().to_string(),
                    u32::try_from(r).expect("small index"),
                    u32::try_from(p).expect("small index"),
                );
                let written = path.path();
                match path.path_type() {
                    ingress_core::validation::PathType::Exact => exact.push((written.to_owned(), id)),
                    _ => prefix.push((written.strip_suffix('/').unwrap_or(written).to_owned(), id)),
                }
            }
        }
    }
    // Longest prefix first; stable, so M6 order among equals is kept.
    prefix.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));
    let mut router = matchit::Router::new();
    for (path, id) in exact {
        let _ = router.insert(path, id);
    }
    for (path, id) in prefix {
        for route in [path.clone(), format!("{path}/"), format!("{path}/{{*rest}}")] {
            if !route.is_empty() {
                let _ = router.insert(route, id.clone());
            }
        }
    }
    router
}

/// Plain `/`-separated paths over an alphabet with no encoding questions.
fn plain_path() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(select(&["a", "ab", "b", "abc", "c"][..]), 0..4),
        any::<bool>(),
    )
        .prop_map(|(segments, trailing)| {
            let mut path = format!("/{}", segments.join("/"));
            if trailing && path.len() > 1 {
                path.push('/');
            }
            path
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The table and matchit agree on one host level of Exact and Prefix rules.
    #[test]
    fn table_agrees_with_matchit(
        rules in prop::collection::vec(
            (select(&["a", "b", "c"][..]), 0..3u64, prop::collection::vec((plain_path(), any::<bool>()), 1..6)),
            1..5,
        ),
        requests in prop::collection::vec(plain_path(), 1..24),
    ) {
        let mut set = IngressSet::new();
        for (name, created, paths) in &rules {
            let paths = paths.iter().map(|(path, is_exact)| {
                let backend = IngressBackend::service("web", 80);
                if *is_exact { HttpIngressPath::exact(path.clone(), backend) } else { HttpIngressPath::prefix(path.clone(), backend) }
            });
            let ingress = Ingress::new("ns", *name)
                .with_creation_timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(*created))
                .with_rule(None, paths);
            set.apply(&ingress);
        }
        let table = set.compile(&TableOptions::default());
        let router = matchit_router(&set);
        for path in requests {
            let canonical = canonicalize_path(&path, &PathOptions::default()).expect("plain paths are canonical");
            let fast = table.find(&RequestHost::None, &canonical).map(|t| {
                let rule = t.matched().rule().expect("no default backends here");
                (t.ingress().to_string(), rule.rule_index, rule.path_index)
            });
            let oracle = router.at(&path).ok().map(|m| m.value.clone());
            prop_assert_eq!(fast, oracle, "path {:?}", path);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// `route_parts` (what the Tower layer calls) and `route_request` (what
    /// the `route` command calls) answer alike: one code path.
    #[test]
    fn route_parts_agrees_with_route_request(
        ingresses in prop::collection::vec(ingress(), 0..6),
        options in options(),
        requests in prop::collection::vec((select(REQUEST_HOSTS), path(), any::<bool>()), 1..16),
    ) {
        let mut set = IngressSet::new();
        for ingress in &ingresses {
            set.apply(ingress);
        }
        let table = set.compile(&options);
        for (host, path, uppercase) in requests {
            let host = host.map(|h| if uppercase { h.to_ascii_uppercase() } else { h.to_owned() });
            let header = host.as_deref().map_or(HostHeader::Absent, |h| HostHeader::One(h.as_bytes()));
            let version = if host.is_some() { HttpVersion::Http11 } else { HttpVersion::Http10 };
            let head = ingress_core::RequestHead::new("GET", version, &path).with_host(header);
            let sources = HostSources { version, target: None, pseudo: None, host: header };
            prop_assert_eq!(table.route_parts("GET", &sources, &path), table.route_request(&head), "{:?} {:?}", host, path);
        }
    }
}

/// One change to a set.
#[derive(Debug, Clone)]
enum Change {
    Apply(Box<Ingress>),
    Remove(&'static str),
    Sync(Vec<Ingress>),
}

impl Change {
    fn apply_to(&self, set: &mut IngressSet) {
        match self {
            Self::Apply(ingress) => {
                set.apply(ingress);
            }
            Self::Remove(name) => {
                set.remove(&ObjectKey::new("ns", name));
            }
            Self::Sync(ingresses) => {
                set.sync(ingresses.iter());
            }
        }
    }
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        4 => ingress().prop_map(|ingress| Change::Apply(Box::new(ingress))),
        1 => select(&["a", "b", "c", "d", "e"][..]).prop_map(Change::Remove),
        1 => prop::collection::vec(ingress(), 0..4).prop_map(Change::Sync),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// The set keeps its served objects in M6 order through every kind of
    /// change (compile and the TLS claims rely on it), and lists each
    /// served object exactly once.
    #[test]
    fn m6_serving_is_in_precedence_order_after_any_changes(changes in prop::collection::vec(change(), 0..24)) {
        let mut set = IngressSet::new();
        for change in &changes {
            change.apply_to(&mut set);
        }
        let listed: Vec<(bool, Option<SystemTime>, String)> = set
            .serving()
            .map(|ingress| (ingress.creation_timestamp().is_none(), ingress.creation_timestamp(), ingress.key().to_string()))
            .collect();
        let mut expected: Vec<(bool, Option<SystemTime>, String)> = ["a", "b", "c", "d", "e"]
            .into_iter()
            .filter_map(|name| set.get(&ObjectKey::new("ns", name)))
            .map(|ingress| (ingress.creation_timestamp().is_none(), ingress.creation_timestamp(), ingress.key().to_string()))
            .collect();
        expected.sort();
        prop_assert_eq!(listed, expected);
    }

    /// A table compiled reusing the last one is the table a fresh compile
    /// gives, after any sequence of changes; so is a table mapped reusing
    /// the last mapped one. Objects left alone keep their entries (shared,
    /// not copied), and every entry taken over is reported once.
    #[test]
    fn reusing_compiles_and_maps_equal_fresh_ones(changes in prop::collection::vec(change(), 0..24)) {
        let options = TableOptions::default();
        let name = |backend: &ingress_core::Backend| backend.to_string();
        let mut set = IngressSet::new();
        let mut table = set.compile(&options);
        let mut mapped = table.map_backends(name);
        for change in &changes {
            change.apply_to(&mut set);
            let next = set.compile_reusing(&options, &table);
            prop_assert_eq!(&next, &set.compile(&options));
            let mut kept = 0;
            let next_mapped = next.map_backends_reusing(&table, &mapped, name, |_| kept += 1);
            prop_assert_eq!(&next_mapped, &next.map_backends(name));
            let shared = next.targets().iter().filter(|t| table.targets().iter().any(|old| Arc::ptr_eq(old, t))).count();
            prop_assert_eq!(kept, shared);
            table = next;
            mapped = next_mapped;
        }
        // Compiling again with nothing changed shares every entry.
        let again = set.compile_reusing(&options, &table);
        prop_assert!(again.targets().iter().zip(table.targets()).all(|(a, b)| Arc::ptr_eq(a, b)));
        prop_assert_eq!(again.len(), table.len());
    }
}
