//! Kubernetes objects in, [`ingress_core`] input out.
//!
//! `ingress-kube` is the edge between the Kubernetes API types
//! ([k8s-openapi](k8s_openapi)) and the plain data of `ingress-core`. It owns
//! no matching logic:
//!
//! 1. [`Manifests`] loads objects from YAML and JSON files (a file, or a
//!    directory walked recursively): Ingress and IngressClass, plus the
//!    Service, EndpointSlice and Secret objects a gateway needs, each with
//!    its [`Source`] (file, document, line). Broken documents, duplicates
//!    and unknown kinds are reported, never fatal. Reloads through a
//!    [`ManifestCache`] parse only the files that changed.
//! 2. [`ClassSelector`] decides which Ingresses are ours (O1-O3 of the
//!    semantics contract) from `spec.ingressClassName`, the legacy
//!    `kubernetes.io/ingress.class` annotation and the default
//!    IngressClass. Our controller name defaults to [`DEFAULT_CONTROLLER`],
//!    `ingress-rs.dev/ingress-gateway`.
//! 3. [`convert_ingress`] copies an Ingress field by field into
//!    [`ingress_core::Ingress`], invalid ones included: validation (V1-V8)
//!    is ingress-core's.
//! 4. [`load_set`] does all three and applies the result to an
//!    [`ingress_core::IngressSet`], keeping what a `check` command reports:
//!    parse errors, duplicates, ignored Ingresses and why, and the source of
//!    every Ingress.
//! 5. [`EndpointTable`] resolves each Service backend through the
//!    Services and EndpointSlices to its ready endpoint addresses, or says
//!    why there are none (B1-B3), in a table swapped apart from the routes.
//! 6. [`feed`] is the pipeline every program runs on: a source (manifest
//!    files, or the API server) in, the live route and endpoint tables
//!    out, each swapped on its own, with readiness and status.
//! 7. `cluster` (feature `cluster`, on by default) is the API-server
//!    source: kube watchers and reflector stores for the four kinds,
//!    coalesced into the feed. `default-features = false` leaves the
//!    manifest-only crate, without kube or tokio.
//! 8. `tls` (feature `tls`, on by default) parses `kubernetes.io/tls`
//!    Secrets on ring, builds the certificate table of the served
//!    Ingresses' `spec.tls[]` entries (T1-T3) and serves it through a
//!    rustls SNI resolver; the feed publishes the table apart from the
//!    routes. ring is the only crypto provider in the tree.
//!
//! ```
//! use ingress_core::{HostHeader, HttpVersion, Outcome, RequestHead, TableOptions};
//! use ingress_kube::{ClassSelector, load_set};
//!
//! // A directory of manifests: our IngressClass, marked default, and the
//! // seed scenario's Ingress, which names no class.
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("hello.yaml"), r#"
//! apiVersion: networking.k8s.io/v1
//! kind: IngressClass
//! metadata:
//!   name: gateway
//!   annotations:
//!     ingressclass.kubernetes.io/is-default-class: "true"
//! spec:
//!   controller: ingress-rs.dev/ingress-gateway
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata:
//!   name: example-ingress
//! spec:
//!   rules:
//!   - host: hello.nginx.com
//!     http:
//!       paths:
//!       - path: /
//!         pathType: Prefix
//!         backend:
//!           service:
//!             name: nginx-svc
//!             port:
//!               number: 80
//! "#).unwrap();
//!
//! let loaded = load_set(dir.path(), &ClassSelector::default()).unwrap();
//! assert!(loaded.manifests().errors().is_empty());
//! assert!(loaded.ignored().is_empty());
//!
//! let table = loaded.set().compile(&TableOptions::default());
//! assert!(table.report().is_empty());
//! let head = RequestHead::new("GET", HttpVersion::Http11, "/index.html")
//!     .with_host(HostHeader::One(b"hello.nginx.com"));
//! let Outcome::Routed(route) = table.route_request(&head) else { panic!("not routed") };
//! assert_eq!(route.backend().to_string(), "default/nginx-svc:80");
//!
//! // Which file the Ingress came from, for diagnostics.
//! let source = loaded.source_of(route.ingress()).unwrap();
//! assert!(source.path.ends_with("hello.yaml"));
//! assert_eq!((source.document, source.line), (2, 11));
//! ```
//!
//! # Choices and readings
//!
//! - **Namespaces.** An object without `metadata.namespace` (or with an
//!   empty one) is in [`DEFAULT_NAMESPACE`], `default`, as `kubectl apply`
//!   reads a manifest without one.
//! - **\[choice\] O2.** Of several default IngressClasses the newest wins,
//!   equal timestamps going to the smallest name; a class without a
//!   creation time (as read from a file) counts as the newest, as
//!   ingress-core reads objects without one (M6).
//! - **Reading, O1.** An empty `spec.ingressClassName` or annotation counts
//!   as unset: no class can have an empty name.
//! - **Numbering.** Documents and lines are numbered from 1 (an object in a
//!   List also has its index in `items`, from 0). Every document of a YAML
//!   stream counts, empty ones included; comments alone make no document.
//! - **Reading, YAML.** As kube reads it (serde-saphyr): a scalar is read
//!   as the field's type asks, so `number: "80"` is the port 80 and an
//!   unquoted `true` in `annotations` the string `"true"`. JSON files are
//!   read strictly (serde_json).
//! - **Directories.** Entries whose names start with `.` are skipped
//!   (hidden files, `.git`, the `..data` links of a mounted ConfigMap,
//!   which would otherwise show every file twice); symbolic links are
//!   followed, each directory once. A file given by name is read whatever
//!   its extension (JSON for `.json`, else YAML).
//! - **Duplicates.** The same kind, namespace and name defined twice: the
//!   later definition in load order (files sorted by path) is kept, as
//!   `kubectl apply` of the files in that order would leave it, and the
//!   earlier one is reported as a [`Duplicate`].
//! - **Secrets (T3).** No `Debug` or `Display` output of this crate shows a
//!   Secret's data, and a Secret that fails to parse is reported with its
//!   position but without the parser's message, which could quote the data.
//!
//! # Dependencies in the public API
//!
//! The k8s-openapi types (`Ingress`, `IngressClass`, `Service`,
//! `EndpointSlice`, `Secret`, `ObjectMeta`) are public on purpose: they are
//! this crate's input. Its output is ingress-core's types. With feature
//! `tls`, rustls's `CertifiedKey` and `ResolvesServerCert` are public too:
//! the resolver is for a rustls server. serde,
//! serde_json and serde-saphyr are used inside only: a parse failure is a
//! [`ManifestError`] with the parser's message as text; arc-swap is
//! inside [`feed::SharedEndpoints`]. No public name of
//! this crate is also one of ingress-core's or of k8s-openapi's, so all
//! three can be imported side by side.
//!
//! # Building
//!
//! This library enables no k8s-openapi version feature: the binary that
//! links it chooses the Kubernetes version (`features = ["latest"]`, say),
//! and the crate's own tests do so through a dev-dependency. Building the
//! library on its own therefore needs a version from outside:
//!
//! ```sh
//! cargo build -p ingress-kube --features k8s-openapi/latest
//! K8S_OPENAPI_ENABLED_VERSION=1.37 cargo doc -p ingress-kube
//! ```

mod class;
#[cfg(feature = "cluster")]
pub mod cluster;
mod convert;
mod endpoints;
pub mod feed;
pub mod fuzzing;
mod load;
mod manifests;
#[cfg(feature = "tls")]
pub mod tls;

pub use class::{
    ClassSelector, ClassSource, DEFAULT_CONTROLLER, INGRESS_CLASS_ANNOTATION, IS_DEFAULT_CLASS_ANNOTATION,
    IngressClasses, NotOurs, Ours, Selection,
};
pub use convert::{DEFAULT_NAMESPACE, convert_ingress, namespace_of};
pub use endpoints::{EndpointFinding, EndpointProblem, EndpointTable, NoEndpoints, SERVICE_NAME_LABEL};
pub use load::{Ignored, Loaded, load_set};
pub use manifests::{
    CacheStats, Duplicate, Format, ManifestCache, ManifestError, Manifests, ObjectId, Skipped, Source, Sourced,
};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
