//! The API-server source of the [feed](crate::feed) (feature `cluster`,
//! on by default): kube-runtime watchers with reflector stores for
//! IngressClass, Ingress, Service and EndpointSlice, in every namespace or
//! one, coalesced into [`Snapshot`](crate::feed::Snapshot)s for a
//! [`Feed`](crate::feed::Feed).
//!
//! - [`ClusterSource`] runs the watchers and hands the feed each kind's
//!   complete list, first when every kind has been listed, then after each
//!   burst of changes; rebuilds run on a thread of their own.
//! - [`Strip`] says what of each object is stored: `managedFields` and the
//!   last-applied annotation never are.
//! - [`Stores`] gives read access to the stores.
//! - [`WriteBack`] (optional) writes back what the feed decided: the
//!   published address ([`PublishedAddress`]) in the status of every
//!   Ingress served, Warning Events on rejected and conflicting ones, by
//!   one replica at a time ([`Election`]).
//!
//! Without the feature (`default-features = false`) the crate reads
//! manifests only, and depends on neither kube nor tokio.
//!
//! The RBAC it needs: `list` and `watch` on `ingresses` and
//! `ingressclasses` (`networking.k8s.io`), `services` (core) and
//! `endpointslices` (`discovery.k8s.io`); with a namespace, a Role in it
//! for all but IngressClasses, which stay cluster-wide. The write-back
//! adds `patch` on `ingresses/status`, `create` and `patch` on
//! `events.k8s.io` events, `get`, `create` and `patch` on
//! `coordination.k8s.io` leases in the election's namespace, and `get`
//! on the published Service when it is outside the namespace watched.
//! `ClusterSource::with_certificates` (feature `tls`) adds `list` and `watch` on
//! `secrets` (core). The repository's `deploy/` has both variants as
//! manifests, checked by a test against the requests the gateway makes.
//!
//! How it is tested: against a fake API server on loopback, in the
//! repository's test-support crate, that speaks the list/watch protocol
//! as kube-rs 5 uses it (paged lists, watch streams with bookmarks,
//! `410 Gone`, server-side apply of status, Leases, Events, outages), not
//! against a real cluster, which the development machine cannot run.
//!
//! ```
//! use std::time::Duration;
//! use ingress_kube::ClassSelector;
//! use ingress_kube::cluster::ClusterSource;
//! use ingress_kube::feed::{Coalescer, Feed, Update};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), kube::Error> {
//! // Any kube client; here one for a server that is not there.
//! let client = kube::Client::try_from(kube::Config::new("http://127.0.0.1:9".parse().unwrap()))?;
//! let source = ClusterSource::new(client)
//!     .with_namespace("shop")
//!     .with_coalescer(Coalescer::new(Duration::from_millis(50), Duration::from_millis(500)));
//! assert_eq!(source.namespace(), Some("shop"));
//! let feed = Feed::new(ClassSelector::default(), |_: &Update<'_>| {});
//! let status = feed.status().clone();
//! let running = tokio::spawn(source.run(feed));
//! // Nothing is published before every kind has been listed.
//! tokio::time::sleep(Duration::from_millis(100)).await;
//! assert!(!status.is_ready());
//! running.abort();
//! # Ok(())
//! # }
//! ```

mod address;
mod election;
mod error;
mod events;
mod health;
mod outcome;
mod pace;
mod source;
mod status;
mod stores;
mod strip;
mod watch;
mod writeback;

pub use address::{AddressError, PublishedAddress, StatusAddress, service_addresses};
pub use election::{Election, default_identity};
pub use error::ClusterError;
pub use source::ClusterSource;
pub use stores::Stores;
pub use strip::{LAST_APPLIED, Strip};
pub use writeback::{STATUS_FIELD_MANAGER, WriteBack};
