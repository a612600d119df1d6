//! Deterministic rule sets, request sets and the matchit baseline shared by
//! the benchmarks.
//!
//! Everything is generated from fixed seeds by a small inline PRNG, so every
//! run measures the same rules and the same requests.

// Each benchmark uses a different part of this module.
#![allow(dead_code, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::hash::BuildHasher;

use ingress_core::canonical::{CanonicalPath, PathOptions, RequestHost, canonicalize_host, canonicalize_path};
use ingress_core::reference::ReferenceMatcher;
use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet, RouteTable, TableOptions};

/// SplitMix64: tiny, fast and good enough to spread rules and requests.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        usize::try_from(self.next_u64() % n).unwrap_or(0)
    }

    /// `true` with probability `percent / 100`.
    pub(crate) fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Paths a real cluster's Ingresses use; each host takes a few of them.
const PATHS: &[&str] = &[
    "/",
    "/api",
    "/api/v1",
    "/api/v1/users",
    "/api/v1/orders",
    "/api/v2",
    "/api/v2/users",
    "/static",
    "/assets",
    "/assets/js",
    "/assets/css",
    "/images",
    "/login",
    "/logout",
    "/healthz",
    "/metrics",
    "/docs",
    "/docs/v1",
    "/admin",
    "/graphql",
    "/ws",
    "/search",
    "/cart",
    "/checkout",
    "/users/profile",
    "/.well-known/acme-challenge",
];

/// What a request adds after a Prefix rule's path.
const SUFFIXES: &[&str] = &[
    "",
    "/",
    "/123",
    "/users/42/profile",
    "/main.3f2a1c.js",
    "/a/b/c/d",
    "/v1/items",
];

/// Paths that rarely match (near misses, wrong case, unknown sections).
const MISSES: &[&str] = &[
    "/nope",
    "/apiv1",
    "/API/v1/users",
    "/static2/app.js",
    "/wp-admin/setup.php",
    "/api/v3/users",
    "/favicon.ico",
];

/// Sections and templates for many rules on one host.
const SECTIONS: &[&str] = &[
    "api/v1",
    "api/v2",
    "static",
    "tenants",
    "docs",
    "admin",
    "assets/js",
    "shop",
];

/// One Exact or Prefix path rule of the workload.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) host: usize,
    pub(crate) path: String,
    pub(crate) exact: bool,
}

/// A set of Ingresses, with the flat list of their rules and hosts.
#[derive(Debug, Clone)]
pub(crate) struct Workload {
    pub(crate) ingresses: Vec<Ingress>,
    pub(crate) hosts: Vec<String>,
    pub(crate) rules: Vec<Rule>,
}

/// A canonical request: what `RouteTable::find` takes.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) host: RequestHost,
    pub(crate) path: CanonicalPath,
}

impl Request {
    fn new(host: &str, path: &str) -> Self {
        let host = canonicalize_host(host.as_bytes()).expect("generated hosts are canonical");
        let canonical = canonicalize_path(path, &PathOptions::default()).expect("generated paths are valid");
        assert_eq!(canonical.as_str(), path, "generated paths are canonical");
        Self { host, path: canonical }
    }

    /// The host name for the host-keyed baseline.
    pub(crate) fn host_name(&self) -> &str {
        self.host.name().unwrap_or("")
    }
}

fn host_name(index: usize) -> String {
    format!("svc-{index}.ns{}.apps.example.com", index % 97)
}

fn path_rule(path: &str, exact: bool, index: usize) -> HttpIngressPath {
    let backend = IngressBackend::service(format!("svc-{}", index % 50), 8080);
    if exact {
        HttpIngressPath::exact(path, backend)
    } else {
        HttpIngressPath::prefix(path, backend)
    }
}

/// `count` distinct entries of [`PATHS`].
fn distinct_paths(rng: &mut Rng, count: usize) -> Vec<&'static str> {
    let mut chosen: Vec<&'static str> = Vec::with_capacity(count);
    while chosen.len() < count.min(PATHS.len()) {
        let path = *rng.pick(PATHS);
        if !chosen.contains(&path) {
            chosen.push(path);
        }
    }
    chosen
}

impl Workload {
    fn from_groups(groups: Vec<(usize, Vec<(String, bool)>)>, hosts: Vec<String>) -> Self {
        let mut ingresses = Vec::with_capacity(groups.len());
        let mut rules = Vec::new();
        for (index, (host, paths)) in groups.into_iter().enumerate() {
            let host_name = hosts.get(host).map(String::as_str);
            let http = paths.iter().map(|(path, exact)| path_rule(path, *exact, index));
            // Zero-padded names: vector order is M6 order (no timestamps).
            ingresses.push(Ingress::new("bench", format!("ing-{index:06}")).with_rule(host_name, http));
            rules.extend(paths.into_iter().map(|(path, exact)| Rule { host, path, exact }));
        }
        Self {
            ingresses,
            hosts,
            rules,
        }
    }

    /// `rules` path rules spread over many hosts: one Ingress per host with
    /// 3 to 5 distinct paths, about 30% Exact.
    pub(crate) fn many_hosts(rules: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut groups = Vec::new();
        let mut hosts = Vec::new();
        let mut total = 0;
        while total < rules {
            let count = (3 + rng.below(3)).min(rules - total);
            let paths = distinct_paths(&mut rng, count)
                .into_iter()
                .map(|path| (path.to_owned(), rng.percent(30)))
                .collect();
            groups.push((hosts.len(), paths));
            hosts.push(host_name(hosts.len()));
            total += count;
        }
        Self::from_groups(groups, hosts)
    }

    /// `ingresses` Ingresses of `paths` paths each, two Ingresses per host
    /// with disjoint paths (so the hosts' levels merge), about 30% Exact.
    pub(crate) fn shared_hosts(ingresses: usize, paths: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut groups = Vec::with_capacity(ingresses);
        let mut hosts = Vec::new();
        while groups.len() < ingresses {
            let host = hosts.len();
            hosts.push(host_name(host));
            let chosen = distinct_paths(&mut rng, 2 * paths);
            for half in chosen.chunks(paths).take(ingresses - groups.len()) {
                let paths = half.iter().map(|path| ((*path).to_owned(), rng.percent(30))).collect();
                groups.push((host, paths));
            }
        }
        Self::from_groups(groups, hosts)
    }

    /// `rules` path rules on one host, in one Ingress per 10 rules, with
    /// shared leading sections (`/api/v1/svc17`, `/tenants/t3/dashboard`).
    pub(crate) fn one_host(rules: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let paths: Vec<(String, bool)> = (0..rules)
            .map(|i| {
                let section = SECTIONS[i % SECTIONS.len()];
                let path = match i % 3 {
                    0 => format!("/{section}/svc{i}"),
                    1 => format!("/{section}/t{i}/dashboard"),
                    _ => format!("/{section}/item{i}/v{}", i % 4),
                };
                (path, rng.percent(30))
            })
            .collect();
        let groups = paths.chunks(10).map(|chunk| (0, chunk.to_vec())).collect();
        Self::from_groups(groups, vec!["www.shop.example.com".to_owned()])
    }

    /// Validates every Ingress into a set.
    pub(crate) fn set(&self) -> IngressSet {
        let mut set = IngressSet::new();
        for ingress in &self.ingresses {
            set.apply(ingress);
        }
        set
    }

    /// `count` requests: about 70% aimed at a rule (hits, but an Exact rule
    /// sometimes gets a suffix), 12% near misses on a known host, 18% on
    /// unknown hosts.
    pub(crate) fn requests(&self, count: usize, seed: u64) -> Vec<Request> {
        let mut rng = Rng::new(seed);
        (0..count)
            .map(|_| {
                let roll = rng.below(100);
                if roll < 70 {
                    let rule = rng.pick(&self.rules);
                    let host = &self.hosts[rule.host];
                    let path = if rule.exact && rng.percent(80) {
                        rule.path.clone()
                    } else {
                        let base = rule.path.strip_suffix('/').unwrap_or(&rule.path);
                        let suffix = *rng.pick(SUFFIXES);
                        if base.is_empty() && suffix.is_empty() {
                            "/".to_owned()
                        } else {
                            format!("{base}{suffix}")
                        }
                    };
                    Request::new(host, &path)
                } else if roll < 82 {
                    let host = rng.pick(&self.hosts);
                    let path = *rng.pick(MISSES);
                    Request::new(host, path)
                } else {
                    let host = format!("unknown-{}.example.org", rng.below(1000));
                    let rule = rng.pick(&self.rules);
                    Request::new(&host, &rule.path)
                }
            })
            .collect()
    }
}

/// A host's Exact and Prefix paths, with their rule indexes.
type HostRules<'a> = (Vec<(&'a str, usize)>, Vec<(&'a str, usize)>);

/// The baseline: one matchit router per host. Prefix `P` becomes `P`, `P/`
/// and `P/{*rest}` (one trailing `/` stripped first, so `/` gives `/` and
/// `/{*rest}`); Exact rules go in first, then prefixes longest first, and a
/// route already taken is skipped, as in `tests/differential.rs`. The value
/// is the rule's index in the workload's flat rule list.
pub(crate) fn matchit_routers<S: BuildHasher + Default>(
    ingresses: &[Ingress],
) -> HashMap<String, matchit::Router<usize>, S> {
    let mut by_host: HashMap<&str, HostRules<'_>, S> = HashMap::default();
    let mut id = 0;
    for ingress in ingresses {
        for rule in &ingress.spec.rules {
            let host = rule.host.as_deref().unwrap_or("");
            let (exact, prefix) = by_host.entry(host).or_default();
            for path in rule.http.iter().flat_map(|http| &http.paths) {
                let written = path.path.as_deref().unwrap_or("/");
                if path.path_type.as_deref() == Some("Exact") {
                    exact.push((written, id));
                } else {
                    prefix.push((written.strip_suffix('/').unwrap_or(written), id));
                }
                id += 1;
            }
        }
    }
    by_host
        .into_iter()
        .map(|(host, (exact, mut prefix))| {
            // Stable: M6 order among equal prefixes is kept.
            prefix.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));
            let mut router = matchit::Router::new();
            for (path, id) in exact {
                let _ = router.insert(path, id);
            }
            for (path, id) in prefix {
                for route in [path.to_owned(), format!("{path}/"), format!("{path}/{{*rest}}")] {
                    if !route.is_empty() {
                        let _ = router.insert(route, id);
                    }
                }
            }
            (host.to_owned(), router)
        })
        .collect()
}

/// One lookup in the baseline.
#[inline]
pub(crate) fn matchit_find<S: BuildHasher>(
    routers: &HashMap<String, matchit::Router<usize>, S>,
    request: &Request,
) -> Option<usize> {
    let router = routers.get(request.host_name())?;
    router.at(request.path.as_str()).ok().map(|found| *found.value)
}

/// Index of each `(ingress name, path index)` in the flat rule list.
fn rule_ids(workload: &Workload) -> HashMap<(String, usize), usize> {
    let mut ids = HashMap::new();
    let mut id = 0;
    for ingress in &workload.ingresses {
        for rule in &ingress.spec.rules {
            for path_index in 0..rule.http.as_ref().map_or(0, |http| http.paths.len()) {
                ids.insert((ingress.name.clone(), path_index), id);
                id += 1;
            }
        }
    }
    ids
}

/// Checks that the table, the baseline and (on the first `reference_sample`
/// requests) the linear reference give the same answer to every request,
/// so the benchmarks compare the same work. Returns the number of hits.
pub(crate) fn check_agreement<S: BuildHasher>(
    workload: &Workload,
    table: &RouteTable,
    routers: &HashMap<String, matchit::Router<usize>, S>,
    reference: &ReferenceMatcher<'_>,
    requests: &[Request],
    reference_sample: usize,
) -> usize {
    let ids = rule_ids(workload);
    let mut hits = 0;
    for (index, request) in requests.iter().enumerate() {
        let fast = table.find(&request.host, &request.path).map(|target| {
            let rule = target.matched().rule().expect("the workloads have no default backends");
            ids[&(target.ingress().name().to_owned(), rule.path_index as usize)]
        });
        assert_eq!(fast, matchit_find(routers, request), "table vs matchit on {request:?}");
        if index < reference_sample {
            let slow = reference.route(&request.host, request.path.as_str()).map(|found| {
                let (_, path_index) = found.rule.expect("the workloads have no default backends");
                ids[&(found.ingress.name().to_owned(), path_index as usize)]
            });
            assert_eq!(fast, slow, "table vs reference on {request:?}");
        }
        hits += usize::from(fast.is_some());
    }
    hits
}

/// The options every benchmark compiles with.
pub(crate) fn options() -> TableOptions {
    TableOptions::default()
}
