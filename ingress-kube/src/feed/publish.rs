//! Publishing: what a rebuild hands the program, and the ready-made
//! publisher that maps backends to the program's own values.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use ingress_core::objects::ObjectKey;
use ingress_core::{Backend, RouteTable, SharedTable};

use super::select::IgnoredIngress;
use super::status::SourceStatus;
use crate::endpoints::EndpointTable;
use crate::manifests::Source;

/// One rebuild's result: the current tables, which of them changed, and
/// what a log or an admin page should say about them.
#[derive(Debug)]
#[non_exhaustive]
pub struct Update<'a> {
    /// The first rebuild: both tables count as changed.
    pub first: bool,
    /// The routes of our Ingresses, to [`Backend`]s, with the build report
    /// (rejections, conflicts, unmatchable rules).
    pub routes: &'a RouteTable<Backend>,
    /// The routes of the update before (the same table as `routes` when
    /// they did not change). Unchanged objects keep their entries, shared:
    /// a publisher that maps the routes to its own values can map only
    /// the new entries, with [`RouteTable::map_backends_reusing`].
    pub previous_routes: &'a RouteTable<Backend>,
    /// Whether the routes were rebuilt (Ingresses or classes changed).
    pub routes_changed: bool,
    /// The ready endpoints of every Service port, with findings.
    pub endpoints: &'a Arc<EndpointTable>,
    /// Whether the endpoints were rebuilt (Services or EndpointSlices
    /// changed). An endpoint change alone never rebuilds routes (B2).
    pub endpoints_changed: bool,
    /// The certificate of each TLS host of our Ingresses (feature `tls`):
    /// what a [`CertificateResolver`](crate::tls::CertificateResolver)
    /// serves, with the program's default certificate for every other name.
    #[cfg(feature = "tls")]
    pub certificates: &'a Arc<crate::tls::CertifiedTable>,
    /// Whether the certificates were rebuilt (the served Ingresses' TLS
    /// claims, or the Secrets they name, changed, or a certificate expired
    /// or became valid). A Secret change alone never rebuilds routes.
    #[cfg(feature = "tls")]
    pub certificates_changed: bool,
    /// What building the certificates found (T1 conflicts, T3 Secrets that
    /// cannot serve a host), naming Ingresses and Secrets, never data.
    #[cfg(feature = "tls")]
    pub tls_findings: &'a [crate::tls::TlsFinding],
    /// The default certificate from the Secret the feed was given
    /// ([`Feed::with_default_certificate`](super::Feed::with_default_certificate)),
    /// when it is usable.
    #[cfg(feature = "tls")]
    pub default_certificate: Option<&'a Arc<rustls::sign::CertifiedKey>>,
    /// The Ingresses that are not ours, and why (O3).
    pub ignored: &'a [IgnoredIngress],
    /// The source's record, this rebuild included.
    pub status: &'a SourceStatus,
    /// When the source started reading the objects of this rebuild.
    pub started: Instant,
    pub(crate) sources: &'a HashMap<ObjectKey, Source>,
    /// Our Ingresses (O1-O3), valid or not, by key.
    pub(crate) ours: &'a BTreeMap<ObjectKey, super::select::Version>,
}

impl Update<'_> {
    /// Where the Ingress `key` was defined, when it came from a file.
    pub fn source_of(&self, key: &ObjectKey) -> Option<&Source> {
        self.sources.get(key)
    }

    /// Our Ingresses (O1-O3), valid or rejected, in key order:
    /// the ones [`ignored`](Self::ignored) does not list.
    pub fn ours(&self) -> impl Iterator<Item = &ObjectKey> {
        self.ours.keys()
    }
}

/// Where a feed's rebuilds go. Implemented by [`Tables`], and by any
/// `FnMut(&Update)` closure (to log, or to wrap another publisher).
///
/// A publisher that keeps its own per-backend state (say, connection
/// slots) refreshes it from [`Update::endpoints`] first and publishes
/// routes after, so that a request routed by either table finds its
/// backend.
pub trait Publish {
    /// Takes one rebuild's result.
    fn publish(&mut self, update: &Update<'_>);
}

impl<F: FnMut(&Update<'_>)> Publish for F {
    fn publish(&mut self, update: &Update<'_>) {
        self(update);
    }
}

/// The live endpoint table, swapped on its own (B2): readers load it
/// without locks. Cloning gives another handle to the same table.
#[derive(Clone, Default)]
pub struct SharedEndpoints {
    inner: Arc<ArcSwap<EndpointTable>>,
}

impl SharedEndpoints {
    /// An empty table: every backend answers
    /// [`NoEndpoints::UnknownService`](crate::NoEndpoints::UnknownService).
    pub fn new() -> Self {
        Self::default()
    }

    /// The current table.
    pub fn load(&self) -> Arc<EndpointTable> {
        self.inner.load_full()
    }

    /// Makes `table` current.
    pub fn store(&self, table: Arc<EndpointTable>) {
        self.inner.store(table);
    }
}

impl fmt::Debug for SharedEndpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedEndpoints").finish_non_exhaustive()
    }
}

/// The ready-made publisher: routes mapped to the program's own values
/// (as [`IngressSet::compile_with`](ingress_core::IngressSet::compile_with)
/// maps them) into a [`SharedTable`], and the endpoint table into
/// [`SharedEndpoints`], each swapped only when it changed.
///
/// ```
/// use ingress_core::Backend;
/// use ingress_kube::feed::Tables;
///
/// // Routes lead to Service names.
/// let tables = Tables::new(|backend: &Backend| match backend {
///     Backend::Service(service) => service.name.to_string(),
///     other => other.to_string(),
/// });
/// let routes = tables.routes().clone(); // give this to the routing layer
/// assert!(routes.load().is_empty());
/// ```
pub struct Tables<T, F> {
    routes: SharedTable<T>,
    endpoints: SharedEndpoints,
    #[cfg(feature = "tls")]
    certificates: Option<Certificates>,
    map: F,
}

/// A resolver to publish certificates into, and the default it started
/// with (served again when a default from a Secret goes away).
#[cfg(feature = "tls")]
struct Certificates {
    resolver: crate::tls::CertificateResolver,
    fallback: Arc<rustls::sign::CertifiedKey>,
}

impl<T, F: FnMut(&Backend) -> T> Tables<T, F> {
    /// Empty tables; routes will lead to `map(backend)`.
    pub fn new(map: F) -> Self {
        Self {
            routes: SharedTable::default(),
            endpoints: SharedEndpoints::new(),
            #[cfg(feature = "tls")]
            certificates: None,
            map,
        }
    }

    /// Also publishes certificates into `resolver` (already in a rustls
    /// `ServerConfig`, say): each new table is stored, with the feed's
    /// default certificate from a Secret when it has one, else the default
    /// `resolver` holds now.
    #[cfg(feature = "tls")]
    pub fn with_certificates(mut self, resolver: crate::tls::CertificateResolver) -> Self {
        let fallback = Arc::clone(resolver.load().default_certificate());
        self.certificates = Some(Certificates { resolver, fallback });
        self
    }

    /// Publishes into `routes` (already handed to a routing layer, say)
    /// rather than into a new table.
    pub fn with_routes(mut self, routes: SharedTable<T>) -> Self {
        self.routes = routes;
        self
    }

    /// The live routes.
    pub fn routes(&self) -> &SharedTable<T> {
        &self.routes
    }

    /// The live endpoints.
    pub fn endpoints(&self) -> &SharedEndpoints {
        &self.endpoints
    }
}

impl<T: PartialEq, F: FnMut(&Backend) -> T> Publish for Tables<T, F> {
    fn publish(&mut self, update: &Update<'_>) {
        // Endpoints first: a request routed by the new table finds them.
        if update.endpoints_changed {
            self.endpoints.store(Arc::clone(update.endpoints));
        }
        #[cfg(feature = "tls")]
        if let Some(certificates) = &self.certificates
            && update.certificates_changed
        {
            let default = update.default_certificate.unwrap_or(&certificates.fallback);
            certificates.resolver.store(crate::tls::Certificates::new(
                Arc::clone(update.certificates),
                Arc::clone(default),
            ));
        }
        if update.routes_changed {
            self.routes.publish(update.routes.map_backends(&mut self.map));
        }
    }
}

impl<T, F> fmt::Debug for Tables<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tables")
            .field("version", &self.routes.version())
            .finish_non_exhaustive()
    }
}
