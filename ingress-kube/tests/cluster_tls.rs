//! Certificates from the API server (T1-T3): `kubernetes.io/tls` Secrets
//! watched with a field selector on their type, listed before the first
//! tables, rotated by the next handshake; Secrets of other types are never
//! read, and the stores never print one.
#![cfg(all(feature = "cluster", feature = "tls"))]

mod cluster;
mod tls_common;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cluster::{PATIENCE, class, service, slice};
use ingress_core::Backend;
use ingress_kube::ClassSelector;
use ingress_kube::cluster::ClusterSource;
use ingress_kube::feed::{Coalescer, Feed, Publish, Tables, Update};
use ingress_kube::tls::{CertificateResolver, self_signed_certificate};
use ingress_test_support::apiserver::FakeApiServer;
use serde_json::{Value, json};
use tls_common::{Ca, Leaf, handshake, secret};

/// An Ingress routing `host` to Service `web`, with `host` in `spec.tls`
/// under Secret `secret_name`.
fn tls_ingress(name: &str, host: &str, secret_name: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "tls": [{"hosts": [host], "secretName": secret_name}],
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
    })
}

/// A Secret of `type_` holding `leaf`, as the API server sends it (data in
/// base64, a `ca.crt` beside the pair, as cert-manager writes).
fn secret_json(name: &str, type_: &str, leaf: &Leaf) -> Value {
    let mut object = secret("default", name, Some(type_), &leaf.cert_pem, &leaf.key_pem);
    if let Some(data) = &mut object.data {
        data.insert("ca.crt".to_owned(), k8s_openapi::ByteString(b"not a key".to_vec()));
    }
    serde_json::to_value(&object).expect("a Secret serialises")
}

/// Publishes into the tables and remembers whether the first publish
/// already had the certificate of `web.example`.
struct FirstSeen {
    inner: Tables<String, fn(&Backend) -> String>,
    resolver: CertificateResolver,
    web: Leaf,
    ca: Ca,
    first_had_certificate: Arc<Mutex<Option<bool>>>,
}

impl Publish for FirstSeen {
    fn publish(&mut self, update: &Update<'_>) {
        self.inner.publish(update);
        if update.first {
            let served = handshake(&self.resolver, &self.ca, "web.example", true).leaf;
            *self
                .first_had_certificate
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(served.as_ref() == Some(&self.web.der));
        }
    }
}

async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t1_tls_secrets_from_the_api_server_serve_their_hosts_and_rotate() {
    let ca = Ca::new();
    let web = ca.leaf(&["web.example"]);
    let other = ca.leaf(&["other.example"]);
    let fake = FakeApiServer::start().await.expect("fake API server");
    for object in [
        class(),
        tls_ingress("web", "web.example", "web-tls"),
        tls_ingress("other", "other.example", "other-opaque"),
        service("web"),
        slice("web", &["10.0.0.1"]),
        secret_json("web-tls", "kubernetes.io/tls", &web),
        // Holds a good certificate, but is not of the TLS type: never read.
        secret_json("other-opaque", "Opaque", &other),
    ] {
        fake.apply(object).expect("applied");
    }

    let client = kube::Client::try_from(fake.config().expect("config")).expect("client");
    let source = ClusterSource::new(client)
        .with_coalescer(Coalescer::new(Duration::from_millis(20), Duration::from_millis(200)))
        .with_certificates();
    let stores = source.stores().clone();
    let default = self_signed_certificate(&["ingress.local"]).expect("a default certificate");
    let resolver = CertificateResolver::new(default);
    let first_had_certificate = Arc::new(Mutex::new(None));
    let to_string: fn(&Backend) -> String = |backend| backend.to_string();
    let publisher = FirstSeen {
        inner: Tables::new(to_string).with_certificates(resolver.clone()),
        resolver: resolver.clone(),
        web: web.clone(),
        ca: Ca::new(),
        first_had_certificate: Arc::clone(&first_had_certificate),
    };
    // The publisher's own CA is not the one that signed `web`: only the
    // leaf it was served is compared, not whether it verified.
    let feed = Feed::new(ClassSelector::default(), publisher);
    let status = feed.status().clone();
    // The Secrets list late: the other four kinds are listed at once, yet
    // no tables come before the Secrets are.
    fake.fail_lists_of("Secret", Some(500));
    let task = tokio::spawn(source.run(feed));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!status.is_ready(), "tables published before the Secrets were listed");
    fake.fail_lists_of("Secret", None);

    until("the first tables", || status.is_ready()).await;
    assert_eq!(
        *first_had_certificate.lock().unwrap_or_else(PoisonError::into_inner),
        Some(true),
        "the first tables came before the Secrets were listed"
    );
    let served = handshake(&resolver, &ca, "web.example", true);
    assert_eq!(served.leaf.as_ref(), Some(&web.der));
    assert!(served.verified.is_ok(), "{:?}", served.verified);
    // T3: the Opaque Secret is not a certificate source; its host gets the
    // default, the other host keeps its own.
    let served = handshake(&resolver, &ca, "other.example", true);
    assert_ne!(served.leaf.as_ref(), Some(&other.der));
    assert!(
        served.verified.is_err(),
        "the default certificate is not signed by the CA"
    );

    // Only TLS Secrets were asked for, and only their pair is kept.
    let secret_lists = fake.count_requests(|request| {
        request.path_and_query.starts_with("/api/v1/secrets")
            && request
                .path_and_query
                .contains("fieldSelector=type%3Dkubernetes.io%2Ftls")
    });
    assert!(secret_lists >= 1, "{:?}", fake.requests());
    assert_eq!(
        fake.count_requests(|request| request.path_and_query.starts_with("/api/v1/secrets")),
        secret_lists,
        "a Secret request without the type selector"
    );
    let kept = stores.tls_secrets().state();
    assert_eq!(kept.len(), 1);
    let keys: Vec<&String> = kept
        .first()
        .and_then(|secret| secret.data.as_ref())
        .map(|data| data.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["tls.crt", "tls.key"]);
    let printed = format!("{stores:?}");
    assert!(
        !printed.contains("PRIVATE KEY") && !printed.contains("BEGIN"),
        "{printed}"
    );

    // Rotation: the next handshake gets the new certificate.
    let rotated = ca.leaf(&["web.example"]);
    fake.apply(secret_json("web-tls", "kubernetes.io/tls", &rotated))
        .expect("rotated");
    until("the rotated certificate", || {
        handshake(&resolver, &ca, "web.example", true).leaf.as_ref() == Some(&rotated.der)
    })
    .await;
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t3_a_certificate_that_becomes_valid_serves_its_host_with_no_event() {
    let ca = Ca::new();
    let now = std::time::SystemTime::now();
    let year = Duration::from_secs(365 * 24 * 3600);
    // Issued by a clock 4 s ahead of ours: not valid yet when first listed
    // (from 3 to 4 s from now: certificates hold whole seconds).
    let web = ca.leaf_between(&["web.example"], now + Duration::from_secs(4), now + year);
    let fake = FakeApiServer::start().await.expect("fake API server");
    for object in [
        class(),
        tls_ingress("web", "web.example", "web-tls"),
        service("web"),
        slice("web", &["10.0.0.1"]),
        secret_json("web-tls", "kubernetes.io/tls", &web),
    ] {
        fake.apply(object).expect("applied");
    }
    let client = kube::Client::try_from(fake.config().expect("config")).expect("client");
    let source = ClusterSource::new(client)
        .with_coalescer(Coalescer::new(Duration::from_millis(20), Duration::from_millis(200)))
        .with_certificates();
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).expect("a default"));
    let to_string: fn(&Backend) -> String = |backend| backend.to_string();
    let feed = Feed::new(
        ClassSelector::default(),
        Tables::new(to_string).with_certificates(resolver.clone()),
    );
    let status = feed.status().clone();
    let task = tokio::spawn(source.run(feed));
    until("the first tables", || status.is_ready()).await;
    let served = || handshake(&resolver, &ca, "web.example", true).leaf;
    let rebuilds = status.record().rebuilds;
    assert!(
        std::time::SystemTime::now() < now + Duration::from_secs(3),
        "the first tables took over 3 s: the test cannot tell"
    );
    assert_ne!(served().as_ref(), Some(&web.der), "served before its notBefore");
    let version = fake.resource_version();
    // Nothing changes in the cluster; the feed rebuilds on its own.
    until("the certificate once valid", || served().as_ref() == Some(&web.der)).await;
    assert_eq!(fake.resource_version(), version, "the cluster changed meanwhile");
    assert!(status.record().rebuilds > rebuilds, "no rebuild of its own");
    task.abort();
}
