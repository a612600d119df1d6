//! The in-process backends, named like Kubernetes Services.

use std::collections::HashMap;

use axum::Router;
use axum::extract::Extension;
use axum::http::Uri;
use axum::response::Html;
use ingress_core::Route;

/// What `nginx-svc` serves: the page nginx greets with.
const WELCOME: &str = "<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>Served in process by the axum-embed example, routed by an Ingress.</p>
</body>
</html>
";

/// Every backend, by Service name (the table routes to Service names).
pub(crate) fn by_name() -> HashMap<String, Router> {
    let nginx = Router::new().fallback(|| async { Html(WELCOME) });
    // Handlers read the route record with axum's `Extension` extractor.
    let api = Router::new().fallback(|Extension(route): Extension<Route<String>>, uri: Uri| async move {
        format!(
            "api-svc: {} via Ingress {} ({}), host {}, path {}\n",
            route.backend(),
            route.ingress(),
            route
                .matched()
                .rule()
                .map_or_else(|| "default backend".to_owned(), ToString::to_string),
            route.host(),
            uri.path(),
        )
    });
    HashMap::from([("nginx-svc".to_owned(), nginx), ("api-svc".to_owned(), api)])
}
