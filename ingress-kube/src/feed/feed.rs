//! The feed's core: inputs in, tables out, synchronously and without I/O.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use ingress_core::TableOptions;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

#[cfg(feature = "tls")]
use super::certificates::CertificateSide;
use super::kind::Kind;
use super::publish::{Publish, Update};
use super::secrets::SecretList;
use super::select::RouteSide;
use super::snapshot::{Listed, Snapshot};
use super::status::{FeedStatus, SourceStatus};
use crate::class::ClassSelector;
use crate::endpoints::EndpointTable;

/// The objects of every kind a source has listed so far, the tables built
/// from them, and where they go.
///
/// A source hands the feed [`Snapshot`]s ([`Feed::apply`]); a
/// [`Feed::rebuild`] then rebuilds what changed and hands it to the
/// publisher `P`:
///
/// - nothing at all until every kind has been listed once (never a table
///   from a half-listed store); the first rebuild publishes both tables
///   and makes the feed ready;
/// - routes only when the Ingresses or IngressClasses changed, and then
///   only changed Ingresses are validated again: the [`IngressSet`]
///   keeps the others, and the last valid version of an Ingress whose new
///   version is invalid (V8);
/// - endpoints only when the Services or EndpointSlices changed, without
///   rebuilding routes (B2);
/// - certificates (feature `tls`) only when the TLS claims of the served
///   Ingresses or the Secrets they name changed, or a certificate expired
///   or became valid ([`Feed::rebuild_due_at`]); a Secret change never
///   rebuilds routes. Secrets are not waited for (see
///   [`Snapshot::with_secrets`]).
///
/// [`IngressSet`]: ingress_core::IngressSet
#[derive(Debug)]
pub struct Feed<P> {
    selector: ClassSelector,
    options: TableOptions,
    publisher: P,
    status: FeedStatus,
    record: SourceStatus,
    ingresses: Option<Vec<Listed<Ingress>>>,
    classes: Option<Vec<Listed<IngressClass>>>,
    services: Option<Vec<Listed<Service>>>,
    slices: Option<Vec<Listed<EndpointSlice>>>,
    secrets: Option<SecretList>,
    routes_dirty: bool,
    #[cfg(feature = "tls")]
    certificates_dirty: bool,
    endpoints_dirty: bool,
    /// When the oldest snapshot not yet rebuilt started, and when the
    /// newest was taken.
    pending: Option<(Instant, SystemTime)>,
    routes: RouteSide,
    endpoints: Arc<EndpointTable>,
    #[cfg(feature = "tls")]
    certificates: CertificateSide,
    #[cfg(feature = "tls")]
    default_certificate: Option<ingress_core::tls::SecretRef>,
    published: bool,
}

/// What one [`Feed::rebuild`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rebuilt {
    /// The first rebuild: both tables were published.
    pub first: bool,
    /// A new route table was published.
    pub routes_changed: bool,
    /// A new endpoint table was published.
    pub endpoints_changed: bool,
    /// A new certificate table was published (feature `tls`).
    #[cfg(feature = "tls")]
    pub certificates_changed: bool,
    /// Ingresses validated (the changed ones, or all of them the first
    /// time).
    pub validated: usize,
}

/// Replaces `slot` with `new`, if given; whether the contents changed.
/// Objects are compared by address first: a store hands over the same
/// allocation for an object that did not change, and comparing ten
/// thousand Ingresses field by field at every change would cost more than
/// the rest of the change.
fn replace<T: PartialEq>(slot: &mut Option<Vec<Listed<T>>>, new: Option<Vec<Listed<T>>>) -> bool {
    let Some(new) = new else {
        return false;
    };
    let same = slot.as_ref().is_some_and(|old| {
        old.len() == new.len()
            && old
                .iter()
                .zip(&new)
                .all(|((a, a_source), (b, b_source))| (Arc::ptr_eq(a, b) || a == b) && a_source == b_source)
    });
    if !same {
        *slot = Some(new);
    }
    !same
}

impl<P: Publish> Feed<P> {
    /// A feed selecting our Ingresses with `selector` (O1-O3) and
    /// publishing into `publisher`.
    pub fn new(selector: ClassSelector, publisher: P) -> Self {
        Self {
            selector,
            options: TableOptions::default(),
            publisher,
            status: FeedStatus::new(),
            record: SourceStatus::default(),
            ingresses: None,
            classes: None,
            services: None,
            slices: None,
            secrets: None,
            routes_dirty: false,
            #[cfg(feature = "tls")]
            certificates_dirty: false,
            endpoints_dirty: false,
            pending: None,
            routes: RouteSide::default(),
            endpoints: Arc::new(EndpointTable::new()),
            #[cfg(feature = "tls")]
            certificates: CertificateSide::default(),
            #[cfg(feature = "tls")]
            default_certificate: None,
            published: false,
        }
    }

    /// Compiles route tables with `options`.
    pub fn with_table_options(mut self, options: TableOptions) -> Self {
        self.options = options;
        self
    }

    /// Takes the default certificate from the Secret `secret` (a
    /// `--default-certificate NS/NAME` flag, say), published in
    /// [`Update::default_certificate`]. When it is missing or broken, a
    /// finding says so and the program's own default serves.
    #[cfg(feature = "tls")]
    pub fn with_default_certificate(mut self, secret: ingress_core::tls::SecretRef) -> Self {
        self.default_certificate = Some(secret);
        self
    }

    /// Records status and readiness into `status` (created before the
    /// feed, say, to hand to an admin server).
    pub fn with_status(mut self, status: FeedStatus) -> Self {
        self.status = status;
        self
    }

    /// The shared status and readiness.
    pub fn status(&self) -> &FeedStatus {
        &self.status
    }

    /// The publisher.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// The same feed publishing into `wrap(publisher)`: for a source that
    /// watches every rebuild on its way to the program's publisher.
    #[cfg(feature = "cluster")]
    pub(crate) fn map_publisher<Q: Publish>(self, wrap: impl FnOnce(P) -> Q) -> Feed<Q> {
        let Self {
            selector,
            options,
            publisher,
            status,
            record,
            ingresses,
            classes,
            services,
            slices,
            secrets,
            routes_dirty,
            #[cfg(feature = "tls")]
            certificates_dirty,
            endpoints_dirty,
            pending,
            routes,
            endpoints,
            #[cfg(feature = "tls")]
            certificates,
            #[cfg(feature = "tls")]
            default_certificate,
            published,
        } = self;
        Feed {
            selector,
            options,
            publisher: wrap(publisher),
            status,
            record,
            ingresses,
            classes,
            services,
            slices,
            secrets,
            routes_dirty,
            #[cfg(feature = "tls")]
            certificates_dirty,
            endpoints_dirty,
            pending,
            routes,
            endpoints,
            #[cfg(feature = "tls")]
            certificates,
            #[cfg(feature = "tls")]
            default_certificate,
            published,
        }
    }

    /// The publisher, to change.
    pub fn publisher_mut(&mut self) -> &mut P {
        &mut self.publisher
    }

    /// Takes the kinds `snapshot` lists, replacing what the feed held of
    /// them. Returns whether any of them changed (what a source's
    /// coalescing counts as a change).
    pub fn apply(&mut self, snapshot: Snapshot) -> bool {
        let Snapshot {
            source,
            taken,
            started,
            ingresses,
            classes,
            services,
            slices,
            secrets,
            resource_versions,
        } = snapshot;
        self.record.source = source;
        self.record.resource_versions.extend(resource_versions);
        let routes = replace(&mut self.ingresses, ingresses) | replace(&mut self.classes, classes);
        let endpoints = replace(&mut self.services, services) | replace(&mut self.slices, slices);
        let secrets_changed = match secrets {
            Some(secrets) if self.secrets.as_ref() != Some(&secrets) => {
                self.secrets = Some(secrets);
                true
            }
            _ => false,
        };
        self.routes_dirty |= routes;
        self.endpoints_dirty |= endpoints;
        #[cfg(feature = "tls")]
        {
            // Route changes count once the rebuild knows whether they
            // touched an Ingress with `spec.tls`.
            self.certificates_dirty |= secrets_changed;
        }
        self.pending = Some(match self.pending {
            Some((oldest, _)) => (oldest, taken),
            None => (started, taken),
        });
        routes || endpoints || secrets_changed
    }

    /// When the feed must [`rebuild`](Self::rebuild) though no snapshot
    /// came: the moment a certificate of the published table expires or
    /// becomes valid (feature `tls`), so that its hosts move to the default
    /// certificate, or back, on time rather than at the next unrelated
    /// change. `None` while nothing published depends on the clock.
    /// [`FileSource`](super::FileSource) checks it at each poll and the
    /// cluster source's rebuild thread waits for it; a source of your own
    /// should do one or the other.
    ///
    /// ```
    /// use ingress_kube::ClassSelector;
    /// use ingress_kube::feed::{Feed, Snapshot, Update};
    ///
    /// let mut feed = Feed::new(ClassSelector::default(), |_: &Update<'_>| {});
    /// feed.apply(Snapshot::from_manifests(&ingress_kube::Manifests::new()));
    /// assert!(feed.rebuild().is_some());
    /// // No certificate, so nothing to wait for.
    /// assert_eq!(feed.rebuild_due_at(), None);
    /// ```
    pub fn rebuild_due_at(&self) -> Option<SystemTime> {
        #[cfg(feature = "tls")]
        {
            self.certificates.next_change
        }
        #[cfg(not(feature = "tls"))]
        {
            None
        }
    }

    /// Whether every kind has been listed, so that a table may be built.
    pub fn is_synced(&self) -> bool {
        self.ingresses.is_some() && self.classes.is_some() && self.services.is_some() && self.slices.is_some()
    }

    /// The kinds not listed yet.
    pub fn unsynced(&self) -> Vec<Kind> {
        let listed = [
            self.ingresses.is_some(),
            self.classes.is_some(),
            self.services.is_some(),
            self.slices.is_some(),
        ];
        Kind::ALL
            .into_iter()
            .zip(listed)
            .filter_map(|(kind, listed)| (!listed).then_some(kind))
            .collect()
    }

    /// Rebuilds what changed since the last rebuild and hands the result
    /// to the publisher (also when nothing changed, so that it can count
    /// and log the reload). `None`, publishing nothing, until every kind
    /// has been listed.
    pub fn rebuild(&mut self) -> Option<Rebuilt> {
        let (Some(ingresses), Some(classes), Some(services), Some(slices)) =
            (&self.ingresses, &self.classes, &self.services, &self.slices)
        else {
            return None;
        };
        let first = !self.published;
        let mut routes_changed = first;
        let mut endpoints_changed = first;
        self.routes.validated = 0;
        if self.routes_dirty || first {
            routes_changed |= self.routes.rebuild(&self.selector, &self.options, ingresses, classes);
            #[cfg(feature = "tls")]
            {
                self.certificates_dirty |= self.routes.tls_touched;
            }
        }
        if self.endpoints_dirty || first {
            let table = EndpointTable::from_listed(services, slices);
            if first || table != *self.endpoints {
                self.endpoints = Arc::new(table);
                endpoints_changed = true;
            }
        }
        #[cfg(feature = "tls")]
        let certificates_changed = {
            let now = SystemTime::now();
            let rebuilt = (self.certificates_dirty || first || self.certificates.is_due(now))
                && self.certificates.rebuild(
                    self.routes.tls_claims(),
                    self.secrets.as_ref(),
                    self.default_certificate.as_ref(),
                    now,
                );
            self.certificates_dirty = false;
            rebuilt || first
        };
        self.routes_dirty = false;
        self.endpoints_dirty = false;

        // A rebuild with no snapshot pending (a certificate's validity
        // changed) read nothing: the last sync stays what it was.
        let pending = self.pending.take();
        let started = pending.map_or_else(Instant::now, |(started, _)| started);
        let record = &mut self.record;
        if let Some((_, taken)) = pending {
            record.last_sync = Some(taken);
        }
        record.objects = [
            (Kind::Ingress, ingresses.len()),
            (Kind::IngressClass, classes.len()),
            (Kind::Service, services.len()),
            (Kind::EndpointSlice, slices.len()),
        ]
        .into();
        record.rebuilds += 1;
        record.route_builds += u64::from(routes_changed);
        record.endpoint_builds += u64::from(endpoints_changed);
        // The shared record keeps the source's own counters.
        self.status.update(|shared| {
            record.watch_restarts = shared.watch_restarts;
            record.relists = shared.relists;
            record.status_writes = shared.status_writes;
            record.events_emitted = shared.events_emitted;
            record.decode_errors = shared.decode_errors;
            record.stale_since = shared.stale_since;
            record.leader = shared.leader;
            *shared = record.clone();
        });

        let update = Update {
            first,
            routes: &self.routes.table,
            previous_routes: self.routes.retired.as_ref().unwrap_or(&self.routes.table),
            routes_changed,
            endpoints: &self.endpoints,
            endpoints_changed,
            #[cfg(feature = "tls")]
            certificates: &self.certificates.table,
            #[cfg(feature = "tls")]
            certificates_changed,
            #[cfg(feature = "tls")]
            tls_findings: &self.certificates.findings,
            #[cfg(feature = "tls")]
            default_certificate: self.certificates.default.as_ref(),
            ignored: &self.routes.ignored,
            status: record,
            started,
            sources: &self.routes.sources,
            ours: &self.routes.applied,
        };
        self.publisher.publish(&update);
        // Freed once published, not before: no one waits for it.
        self.routes.retired = None;
        self.published = true;
        self.status.set_ready();
        Some(Rebuilt {
            first,
            routes_changed,
            endpoints_changed,
            #[cfg(feature = "tls")]
            certificates_changed,
            validated: self.routes.validated,
        })
    }
}
