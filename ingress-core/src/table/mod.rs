//! The compiled routing table (section 4 of the contract).
//!
//! A [`RouteTable`] is immutable. It holds three kinds of host level (exact
//! hosts, single-label wildcards keyed by their parent domain, the
//! host-less level), and per level Exact rules, Prefix rules and a default
//! backend, all in flat hash tables over one text arena. A lookup hashes
//! the host at most twice, then hashes the path once, element by element,
//! probing only at the element counts that the level's Prefix rules have.
//! Its cost does not depend on the rules of other hosts, nor on the number
//! of rules of its own host.
//!
//! ```
//! use ingress_core::{HttpIngressPath, Ingress, IngressBackend, RouteTable, TableOptions};
//! use ingress_core::canonical::{RequestHost, canonicalize_path};
//!
//! let ingress = Ingress::new("default", "fanout").with_rule(
//!     Some("foo.bar.com"),
//!     [
//!         HttpIngressPath::prefix("/foo", IngressBackend::service("service1", 4200)),
//!         HttpIngressPath::prefix("/bar", IngressBackend::service("service2", 8080)),
//!     ],
//! );
//! let table = RouteTable::from_ingresses([ingress], &TableOptions::default());
//! let host = RequestHost::Name("foo.bar.com".into());
//! let path = |p: &str| canonicalize_path(p, &table.options().path).unwrap();
//! let hit = table.find(&host, &path("/bar/./baz")).unwrap();
//! assert_eq!(hit.backend().to_string(), "default/service2:8080");
//! assert!(table.find(&host, &path("/baz")).is_none());
//! ```

mod build;
mod explain;
mod index;
mod options;
mod outcome;
mod report;
mod target;

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) use build::{Reuse, compile};
pub use explain::Explanation;
pub use options::{ImplementationSpecific, MatchKind, TableOptions};
pub use outcome::{NotFound, Outcome, Route};
pub use report::{BuildReport, Diagnostic, DiagnosticKind, Location, Unmatchable};
pub use target::{Matched, RouteTarget, RuleRef};

use crate::canonical::{
    CanonicalPath, HostRef, HostSources, RequestHead, RequestHost, canonicalize_parts_ref, canonicalize_request,
};
use crate::objects::Ingress;
use crate::set::IngressSet;
use crate::validation::{Backend, HostRule};
use index::Index;

/// An immutable, compiled routing table, generic over what a route leads
/// to (by default the Ingress's [`Backend`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable<B = Backend> {
    options: TableOptions,
    targets: Vec<Arc<RouteTarget<B>>>,
    /// Shared by the tables mapped from this one: mapping backends leaves
    /// every host and path where it is.
    index: Arc<Index>,
    report: BuildReport,
}

impl<B> Default for RouteTable<B> {
    fn default() -> Self {
        Self {
            options: TableOptions::default(),
            targets: Vec::new(),
            index: Arc::default(),
            report: BuildReport::default(),
        }
    }
}

impl RouteTable<Backend> {
    /// Validates and compiles `ingresses` (later objects replace earlier
    /// ones with the same `namespace/name`). Rejected objects are left out
    /// and reported in [`report`](Self::report).
    pub fn from_ingresses(ingresses: impl IntoIterator<Item = Ingress>, options: &TableOptions) -> Self {
        let mut set = IngressSet::new();
        for ingress in ingresses {
            set.apply(&ingress);
        }
        set.compile(options)
    }
}

impl<B> RouteTable<B> {
    pub(crate) fn with_report(mut self, report: BuildReport) -> Self {
        self.report = report;
        self
    }

    /// The options the table was compiled with; requests are canonicalised
    /// with them too.
    pub fn options(&self) -> &TableOptions {
        &self.options
    }

    /// What the compile found.
    pub fn report(&self) -> &BuildReport {
        &self.report
    }

    /// Every entry (path rules and default backends), in precedence order.
    pub fn targets(&self) -> &[Arc<RouteTarget<B>>] {
        &self.targets
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the table routes nothing.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The same table with every backend mapped through `map`.
    pub fn map_backends<C>(&self, mut map: impl FnMut(&B) -> C) -> RouteTable<C> {
        RouteTable {
            options: self.options.clone(),
            targets: self.targets.iter().map(|t| Arc::new(t.map(&mut map))).collect(),
            index: Arc::clone(&self.index),
            report: self.report.clone(),
        }
    }

    /// [`map_backends`](Self::map_backends), taking the entry at the same
    /// place in `mapped` for every entry that is (by address) an entry of
    /// `previous`, where `mapped` is what `previous` was mapped to. With a
    /// table from [`IngressSet::compile_reusing`], only the entries of
    /// changed objects are mapped anew; `kept` sees the backend of each
    /// entry taken over (to note that it is still in use, say). Tables
    /// that do not go together (`mapped` not mapped from `previous`) are
    /// noticed, and everything is mapped anew.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet, TableOptions};
    ///
    /// let rule = |name: &str, service: &str| {
    ///     Ingress::new("default", name)
    ///         .with_rule(Some(&format!("{name}.example")), [HttpIngressPath::prefix("/", IngressBackend::service(service, 80))])
    /// };
    /// let options = TableOptions::default();
    /// let mut set = IngressSet::new();
    /// set.apply(&rule("a", "one"));
    /// set.apply(&rule("b", "two"));
    /// let first = set.compile(&options);
    /// let first_mapped = first.map_backends(|backend| backend.to_string());
    ///
    /// set.apply(&rule("b", "three"));
    /// let second = set.compile_reusing(&options, &first);
    /// let mut kept = Vec::new();
    /// let second_mapped = second.map_backends_reusing(&first, &first_mapped, |b| b.to_string(), |b| kept.push(b.clone()));
    /// assert_eq!(second_mapped, second.map_backends(|backend| backend.to_string()));
    /// assert_eq!(kept, ["default/one:80"]);
    /// ```
    pub fn map_backends_reusing<C>(
        &self,
        previous: &RouteTable<B>,
        mapped: &RouteTable<C>,
        mut map: impl FnMut(&B) -> C,
        mut kept: impl FnMut(&C),
    ) -> RouteTable<C> {
        let together = previous.targets.len() == mapped.targets.len() && Arc::ptr_eq(&previous.index, &mapped.index);
        let places: HashMap<usize, usize, foldhash::fast::RandomState> = if together {
            let address = |target: &Arc<RouteTarget<B>>| Arc::as_ptr(target) as usize;
            previous
                .targets
                .iter()
                .enumerate()
                .map(|(place, t)| (address(t), place))
                .collect()
        } else {
            HashMap::default()
        };
        let targets = self
            .targets
            .iter()
            .map(|target| {
                let earlier = places
                    .get(&(Arc::as_ptr(target) as usize))
                    .and_then(|&place| mapped.targets.get(place));
                match earlier {
                    Some(earlier) => {
                        kept(&earlier.backend);
                        Arc::clone(earlier)
                    }
                    None => Arc::new(target.map(&mut map)),
                }
            })
            .collect();
        RouteTable {
            options: self.options.clone(),
            targets,
            index: Arc::clone(&self.index),
            report: self.report.clone(),
        }
    }

    /// Looks up a canonical host and path: the entry that serves it, or
    /// `None` for 404. `path` should come from
    /// [`canonicalize_path`](crate::canonical::canonicalize_path) with this table's
    /// options (a [`CanonicalPath`] cannot be made otherwise, so a raw
    /// path cannot be matched by mistake). No allocation.
    pub fn find(&self, host: &RequestHost, path: &CanonicalPath) -> Option<&Arc<RouteTarget<B>>> {
        self.find_name(host.name(), path.as_str())
    }

    /// The entry of `level` for `path`: its best path rule, else its
    /// default backend (M2: the level decides alone).
    fn find_in_level(&self, level: u32, path: &str) -> Option<&Arc<RouteTarget<B>>> {
        let target = self
            .index
            .find_path(level, path)
            .or_else(|| self.index.level(level)?.default)?;
        self.targets.get(usize::try_from(target).ok()?)
    }

    /// [`find`](Self::find) by host name (`None` for an IP literal or no
    /// host: both use the host-less level, H4).
    fn find_name(&self, host: Option<&str>, path: &str) -> Option<&Arc<RouteTarget<B>>> {
        let index = &self.index;
        let target = if self.options.fallthrough {
            let levels = index.levels_for(host);
            let mut existing = levels.iter().flatten();
            existing
                .clone()
                .find_map(|&level| index.find_path(level, path))
                .or_else(|| existing.find_map(|&level| index.level(level)?.default))
        } else {
            // M1/M2: the most specific level decides alone.
            return self.find_in_level(index.select(host)?, path);
        };
        self.targets.get(usize::try_from(target?).ok()?)
    }

    /// The host level M1 selects for `host`, if any exists.
    pub fn selected_level(&self, host: &RequestHost) -> Option<HostRule> {
        let level = self.index.select(host.name())?;
        self.index.level(level).map(|info| info.host.clone())
    }

    /// Routes a canonical request, returning an owned answer.
    pub fn route(&self, host: RequestHost, path: CanonicalPath) -> Outcome<B> {
        match self.find(&host, &path) {
            Some(target) => Outcome::Routed(Route {
                target: Arc::clone(target),
                host,
                path,
            }),
            None => Outcome::NotFound(NotFound {
                level: self.selected_level(&host),
                host,
                path: Some(path),
            }),
        }
    }

    /// Canonicalises and routes a whole request (section 3, then section 4).
    ///
    /// ```
    /// use ingress_core::{HostHeader, HttpIngressPath, HttpVersion, Ingress, IngressBackend, Outcome, RequestHead, RouteTable, TableOptions};
    ///
    /// let table = RouteTable::from_ingresses(
    ///     [Ingress::new("default", "web").with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))])],
    ///     &TableOptions::default(),
    /// );
    /// let head = RequestHead::new("GET", HttpVersion::Http11, "/a/./b?q").with_host(HostHeader::One(b"anything"));
    /// let Outcome::Routed(route) = table.route_request(&head) else { panic!() };
    /// assert_eq!(route.path().as_str(), "/a/b");
    /// let bad = RequestHead::new("GET", HttpVersion::Http11, "/a/../../b").with_host(HostHeader::One(b"anything"));
    /// assert_eq!(table.route_request(&bad).status_code(), Some(400));
    /// ```
    pub fn route_request(&self, head: &RequestHead<'_>) -> Outcome<B> {
        match canonicalize_request(head, &self.options.path) {
            Ok(request) => self.route_canonical(request.host, request.path),
            Err(error) => Outcome::Refused(error),
        }
    }

    /// Canonicalises and routes a request an HTTP library already took
    /// apart (see [`canonicalize_parts`](crate::canonical::canonicalize_parts)); the
    /// same answers as [`route_request`](Self::route_request).
    pub fn route_parts(&self, method: &str, sources: &HostSources<'_>, path: &str) -> Outcome<B> {
        // A Host header naming one of the table's exact hosts as it is needs
        // no canonicalising, and its level is then already known.
        let exact = Cell::new(None);
        let known = |name: &[u8]| {
            exact.set(self.index.exact_host(name));
            exact.get().is_some()
        };
        let (host, path) = match canonicalize_parts_ref(method, sources, path, &self.options.path, &known) {
            Ok((host, Some(path))) => (host, path),
            Ok((host, None)) => return self.route_canonical(host.into_owned(), None),
            Err(error) => return Outcome::Refused(error),
        };
        let found = match exact.get() {
            Some(level) if !self.options.fallthrough => self.find_in_level(level, path.as_str()),
            _ => self.find_name(host.name(), path.as_str()),
        };
        let Some(target) = found else {
            let host = host.into_owned();
            return Outcome::NotFound(NotFound {
                level: self.selected_level(&host),
                host,
                path: Some(path),
            });
        };
        // A request for an exact host takes the table's copy of the name.
        let host = match (&host, &target.level) {
            (HostRef::Borrowed(name), HostRule::Exact(level)) if **level == **name => {
                RequestHost::Name(Arc::clone(level))
            }
            _ => host.into_owned(),
        };
        Outcome::Routed(Route {
            target: Arc::clone(target),
            host,
            path,
        })
    }

    fn route_canonical(&self, host: RequestHost, path: Option<CanonicalPath>) -> Outcome<B> {
        match path {
            Some(path) => self.route(host, path),
            // `OPTIONS *` asks about the server itself: no path, no route.
            None => Outcome::NotFound(NotFound {
                level: self.selected_level(&host),
                host,
                path: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
