//! The resources the fake serves: group, version, plural, kind and scope,
//! the way an API server's discovery names them.

/// One API resource: `GET /apis/{group}/{version}/{plural}` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resource {
    /// The API group; empty for the core group (`/api/v1`).
    pub(crate) group: &'static str,
    /// The version, e.g. `v1`.
    pub(crate) version: &'static str,
    /// The plural in paths, e.g. `ingresses`.
    pub(crate) plural: &'static str,
    /// The object kind, e.g. `Ingress`.
    pub(crate) kind: &'static str,
    /// Whether objects live in a namespace.
    pub(crate) namespaced: bool,
    /// Whether `status` is a subresource: writes to the object keep the
    /// stored `status`, writes to `/status` change only `status`.
    pub(crate) has_status: bool,
}

const fn resource(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    has_status: bool,
) -> Resource {
    Resource {
        group,
        version: "v1",
        plural,
        kind,
        namespaced,
        has_status,
    }
}

/// Every resource the fake knows; the index is the store's key.
pub(crate) const RESOURCES: &[Resource] = &[
    resource("networking.k8s.io", "ingresses", "Ingress", true, true),
    resource("networking.k8s.io", "ingressclasses", "IngressClass", false, false),
    resource("", "services", "Service", true, true),
    resource("discovery.k8s.io", "endpointslices", "EndpointSlice", true, false),
    resource("", "secrets", "Secret", true, false),
    resource("", "configmaps", "ConfigMap", true, false),
    resource("", "namespaces", "Namespace", false, true),
    resource("coordination.k8s.io", "leases", "Lease", true, false),
    resource("events.k8s.io", "events", "Event", true, false),
    resource("", "events", "Event", true, false),
];

impl Resource {
    /// `group/version`, or `version` for the core group.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The resource at `/apis/{group}/{version}/{plural}` (group empty
    /// for `/api/{version}`), with its index in [`RESOURCES`].
    pub(crate) fn by_path(group: &str, version: &str, plural: &str) -> Option<(usize, Self)> {
        RESOURCES
            .iter()
            .enumerate()
            .find(|(_, r)| r.group == group && r.version == version && r.plural == plural)
            .map(|(index, r)| (index, *r))
    }

    /// The resource of objects with this `apiVersion` and `kind`, with its
    /// index in [`RESOURCES`].
    pub(crate) fn by_kind(api_version: &str, kind: &str) -> Option<(usize, Self)> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        RESOURCES
            .iter()
            .enumerate()
            .find(|(_, r)| r.group == group && r.version == version && r.kind == kind)
            .map(|(index, r)| (index, *r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_and_grouped_resources_are_found_by_path_and_by_kind() {
        let (index, services) = Resource::by_path("", "v1", "services").unwrap_or_else(|| {
            panic!("services missing");
        });
        assert_eq!(services.api_version(), "v1");
        assert_eq!(Resource::by_kind("v1", "Service").map(|(i, _)| i), Some(index));
        let (_, events) = Resource::by_kind("events.k8s.io/v1", "Event").unwrap_or_else(|| {
            panic!("events missing");
        });
        assert_eq!(events.group, "events.k8s.io");
        assert!(Resource::by_path("apps", "v1", "deployments").is_none());
    }
}
