//! A kubeconfig for a plain-HTTP server, as `KUBECONFIG` or kube's
//! `Kubeconfig::from_yaml` reads it: one cluster, one context, one user
//! without credentials, namespace `default`.

/// The kubeconfig text for `server` (e.g. `http://127.0.0.1:8080`).
pub(crate) fn kubeconfig_yaml(server: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {server}
contexts:
- name: fake
  context:
    cluster: fake
    user: fake
    namespace: default
current-context: fake
users:
- name: fake
  user: {{}}
"
    )
}
