//! Test support for the workspace's test suites, one place for what they
//! all need: a directory of manifests that cleans up after itself
//! ([`ManifestDir`], on [`tempfile`]) and one YAML builder per Kubernetes
//! object kind ([`IngressYaml`], [`IngressClassYaml`], [`ServiceYaml`],
//! [`EndpointSliceYaml`], [`SecretYaml`]).
//!
//! A builder writes only what a test sets, in block style, so a test's
//! manifest says what the test is about and nothing else. The builders
//! know no rule of the semantics contract: an invalid host or path is
//! written as given, for tests of rejection.
//!
//! With feature `apiserver`, `apiserver::FakeApiServer` is a loopback
//! fake Kubernetes API server that kube-rs accepts, for tests of
//! everything cluster-facing. With feature `tls`,
//! `tls::AcceptAnyCertificate` lets a TLS test client see whatever
//! certificate a server presents.
//!
//! This crate is not published and does not depend on `ingress-core` or
//! `ingress-kube` (whose tests use it): what is specific to one crate's
//! tests (running a binary, backends, clients) stays in that crate.
//!
//! ```
//! use ingress_test_support::{IngressClassYaml, IngressYaml, ManifestDir, documents, path, service_backend};
//!
//! let class = IngressClassYaml::new("ours", "ingress-rs.dev/ingress-gateway").default_class();
//! let shop = IngressYaml::new("shop")
//!     .rule(Some("shop.example"), [path("Prefix", "/", service_backend("shop", 80))]);
//! let dir = ManifestDir::with_files(&[("all.yaml", &documents([class.to_yaml(), shop.to_yaml()]))]);
//!
//! let text = std::fs::read_to_string(dir.path().join("all.yaml")).unwrap();
//! assert_eq!(text.matches("\n---\n").count(), 1);
//! assert!(text.contains("kind: IngressClass\n") && text.contains("kind: Ingress\n"));
//! ```

#[cfg(feature = "apiserver")]
pub mod apiserver;
mod backend;
mod class;
mod dir;
mod endpoint_slice;
mod ingress;
mod secret;
mod service;
#[cfg(feature = "tls")]
pub mod tls;
mod yaml;

pub use backend::{BackendPort, IngressBackend, resource_backend, service_backend};
pub use class::IngressClassYaml;
pub use dir::ManifestDir;
pub use endpoint_slice::EndpointSliceYaml;
pub use ingress::{IngressPath, IngressYaml, path};
pub use secret::SecretYaml;
pub use service::ServiceYaml;

/// YAML documents joined into one stream, `---` between them. Each
/// document should end in a line break, as every builder's does.
pub fn documents<I>(docs: I) -> String
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut out = String::new();
    for (index, doc) in docs.into_iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        out.push_str(doc.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ingress_writes_only_what_is_set_in_block_style() {
        let yaml = IngressYaml::new("web")
            .default_backend(service_backend("web", 80))
            .to_yaml();
        assert_eq!(
            yaml,
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n"
        );
        assert!(
            IngressYaml::new("empty")
                .to_yaml()
                .ends_with("  name: empty\nspec: {}\n")
        );
    }

    #[test]
    fn an_ingress_writes_metadata_class_and_rules_in_order() {
        let yaml = IngressYaml::new("shop")
            .namespace("default")
            .created("2020-01-01T00:00:00Z")
            .annotation("kubernetes.io/ingress.class", "ours")
            .class("ours")
            .rule(
                Some("*.shop.example"),
                [
                    path("Exact", "/", service_backend("web", "http")),
                    path("Prefix", "/x", resource_backend("StorageBucket", "assets")),
                ],
            )
            .rule(None, [path("Prefix", "/", service_backend("any", 8080))])
            .to_yaml();
        let expected = "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: default
  creationTimestamp: \"2020-01-01T00:00:00Z\"
  annotations:
    kubernetes.io/ingress.class: \"ours\"
spec:
  ingressClassName: ours
  rules:
  - host: \"*.shop.example\"
    http:
      paths:
      - path: \"/\"
        pathType: Exact
        backend:
          service:
            name: web
            port:
              name: http
      - path: \"/x\"
        pathType: Prefix
        backend:
          resource:
            apiGroup: k8s.example.com
            kind: StorageBucket
            name: assets
  - http:
      paths:
      - path: \"/\"
        pathType: Prefix
        backend:
          service:
            name: any
            port:
              number: 8080
";
        assert_eq!(yaml, expected);
    }

    #[test]
    fn a_class_a_service_and_a_slice_write_their_fields() {
        let class = IngressClassYaml::new("ours", "example.com/ctl")
            .created("2024-01-01T00:00:00Z")
            .default_class()
            .to_yaml();
        assert_eq!(
            class,
            "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: ours\n  creationTimestamp: \"2024-01-01T00:00:00Z\"\n  annotations:\n    ingressclass.kubernetes.io/is-default-class: \"true\"\nspec:\n  controller: example.com/ctl\n"
        );
        let service = ServiceYaml::new("web")
            .namespace("shop")
            .port(Some("http"), 80, Some("web"))
            .port(None, 9000, Some("9001"))
            .to_yaml();
        assert_eq!(
            service,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: web\n  - port: 9000\n    targetPort: 9001\n"
        );
        assert!(ServiceYaml::new("bare").to_yaml().ends_with("spec: {}\n"));
        let slice = EndpointSliceYaml::new("web-1", "web")
            .address_type("IPv6")
            .port(None, 8080)
            .endpoint("::1", Some(false))
            .to_yaml();
        assert_eq!(
            slice,
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-1\n  labels:\n    kubernetes.io/service-name: \"web\"\naddressType: IPv6\nports:\n- port: 8080\nendpoints:\n- addresses: [\"::1\"]\n  conditions:\n    ready: false\n"
        );
        assert!(
            EndpointSliceYaml::new("none", "web")
                .to_yaml()
                .ends_with("addressType: IPv4\nendpoints: []\n")
        );
    }

    #[test]
    fn documents_are_separated_not_terminated() {
        assert_eq!(
            documents(["a: 1\n", "b: 2\n", "c: 3\n"]),
            "a: 1\n---\nb: 2\n---\nc: 3\n"
        );
        assert_eq!(documents(Vec::<String>::new()), "");
    }

    #[test]
    fn a_manifest_dir_writes_atomically_and_is_removed_on_drop() {
        let dir = ManifestDir::with_files(&[("a.yaml", "one\n"), ("deep/er/b.yml", "two\n")]);
        let root = dir.path().to_owned();
        assert_eq!(
            std::fs::read_to_string(root.join("deep/er/b.yml")).unwrap_or_default(),
            "two\n"
        );
        // A rewrite is a new file in place, never an edit of the old one.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let inode = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.ino()).unwrap_or_default();
            let before = inode(&root.join("a.yaml"));
            dir.write("a.yaml", "three\n");
            assert_ne!(inode(&root.join("a.yaml")), before);
        }
        // Nothing but the manifests is in the directory.
        let mut names: Vec<_> = std::fs::read_dir(&root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["a.yaml", "deep"]);

        let fixed = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        let file = dir.write_with_mtime("c.yaml", "four\n", fixed);
        assert_eq!(std::fs::metadata(&file).and_then(|m| m.modified()).ok(), Some(fixed));
        dir.remove("c.yaml");
        assert!(!file.exists());
        drop(dir);
        assert!(!root.exists());
    }
}
