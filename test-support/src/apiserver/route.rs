//! Which resource, namespace, object and subresource a request path names:
//! `/api/v1/...` for the core group, `/apis/{group}/{version}/...` for the
//! others, then `[namespaces/{ns}/]{plural}[/{name}[/status]]`.

use super::resource::Resource;

/// A parsed request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// The resource's index in the resource table.
    pub(crate) index: usize,
    /// The resource.
    pub(crate) resource: Resource,
    /// The namespace of a namespaced path.
    pub(crate) namespace: Option<String>,
    /// The object's name, for an item path.
    pub(crate) name: Option<String>,
    /// Whether the path ends in `/status`.
    pub(crate) status: bool,
}

/// Why a path names no resource the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteError {
    /// Not an API path, or an unknown resource or subresource.
    NotFound,
}

impl Route {
    /// Parses a request path (without the query).
    pub(crate) fn parse(path: &str) -> Result<Self, RouteError> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", version, rest @ ..] => ("", *version, rest),
            ["apis", group, version, rest @ ..] => (*group, *version, rest),
            _ => return Err(RouteError::NotFound),
        };
        let (namespace, rest) = match rest {
            // `/api/v1/namespaces/{name}` is the Namespace object itself.
            ["namespaces", ns, plural, tail @ ..] => (Some(*ns), {
                let mut all = vec![*plural];
                all.extend_from_slice(tail);
                all
            }),
            other => (None, other.to_vec()),
        };
        let (plural, name, status) = match rest.as_slice() {
            [plural] => (*plural, None, false),
            [plural, name] => (*plural, Some(*name), false),
            [plural, name, "status"] => (*plural, Some(*name), true),
            _ => return Err(RouteError::NotFound),
        };
        let (index, resource) = Resource::by_path(group, version, plural).ok_or(RouteError::NotFound)?;
        if (namespace.is_some() && !resource.namespaced) || (status && !resource.has_status) {
            return Err(RouteError::NotFound);
        }
        Ok(Self {
            index,
            resource,
            namespace: namespace.map(str::to_owned),
            name: name.map(str::to_owned),
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plural, namespace, name and whether it is `/status`.
    type Parts<'a> = (&'a str, Option<&'a str>, Option<&'a str>, bool);

    fn parts(path: &str) -> Option<(&'static str, Option<String>, Option<String>, bool)> {
        Route::parse(path)
            .ok()
            .map(|r| (r.resource.plural, r.namespace, r.name, r.status))
    }

    #[test]
    fn collection_item_and_status_paths_name_their_parts() {
        let cases: &[(&str, Option<Parts<'_>>)] = &[
            ("/api/v1/services", Some(("services", None, None, false))),
            (
                "/api/v1/namespaces/shop/secrets",
                Some(("secrets", Some("shop"), None, false)),
            ),
            (
                "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web/status",
                Some(("ingresses", Some("shop"), Some("web"), true)),
            ),
            (
                "/apis/networking.k8s.io/v1/ingressclasses/ours",
                Some(("ingressclasses", None, Some("ours"), false)),
            ),
            (
                "/api/v1/namespaces/shop",
                Some(("namespaces", None, Some("shop"), false)),
            ),
            ("/apis/networking.k8s.io/v1/namespaces/a/ingressclasses", None),
            ("/apis/networking.k8s.io/v1/namespaces/a/ingresses/web/scale", None),
            ("/apis/apps/v1/deployments", None),
            ("/api/v1/namespaces/shop/secrets/tls/status", None),
            ("/healthz", None),
        ];
        for (path, expected) in cases {
            let expected =
                expected.map(|(p, ns, name, status)| (p, ns.map(str::to_owned), name.map(str::to_owned), status));
            assert_eq!(parts(path), expected, "{path}");
        }
    }
}
