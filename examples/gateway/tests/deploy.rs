//! `deploy/` and the `Dockerfile`, held to what the gateway really does.
//!
//! Every document of every file in `deploy/` is read as kube reads YAML
//! (serde-saphyr) into its k8s-openapi type, picked by `apiVersion` and
//! `kind`; a document of any other kind fails the test. The container's
//! arguments are parsed with the gateway's own command line, so a renamed
//! flag or a port that no longer matches a probe breaks the build here, not
//! in a cluster.
//!
//! The RBAC files are held to the requests the gateway makes: the
//! Deployment's own command line runs against the fake API server (cluster
//! wide with `10-rbac.yaml`, and with `--namespace` and
//! `one-namespace/rbac.yaml`), every request is turned into the access RBAC
//! checks (verb, group, resource, namespace), and each must be granted to
//! the Deployment's service account by the roles bound to it, while each
//! grant must be used (or be listed, with its reason, as unused by design).

mod support;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser as _;
use ingress_gateway::cli::{Cli, Command, ServeArgs};
use ingress_test_support::apiserver::{FakeApiServer, RequestRecord};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Namespace, PodSpec, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::IngressClass;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use support::Gateway;

/// The namespace every namespaced object of `deploy/` lives in.
const NAMESPACE: &str = "ingress-gateway";

/// The objects of `deploy/`, by kind, in file order.
#[derive(Debug, Default)]
struct Objects {
    /// `(file name, kind)` of every document, in the order `kubectl apply
    /// -f deploy/` applies them.
    order: Vec<(String, String)>,
    namespaces: Vec<Namespace>,
    service_accounts: Vec<ServiceAccount>,
    cluster_roles: Vec<ClusterRole>,
    cluster_role_bindings: Vec<ClusterRoleBinding>,
    roles: Vec<Role>,
    role_bindings: Vec<RoleBinding>,
    deployments: Vec<Deployment>,
    services: Vec<Service>,
    ingress_classes: Vec<IngressClass>,
}

/// What picks a document's type.
#[derive(Debug, Deserialize)]
struct TypeMeta {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
}

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// A YAML stream's non-empty documents: a line starting with `---` starts
/// one (YAML forbids that marker at the start of a line inside a scalar).
fn documents(text: &str) -> Vec<String> {
    let mut documents = vec![String::new()];
    for line in text.lines() {
        if line == "---" || line.starts_with("--- ") {
            documents.push(String::new());
        } else if let Some(current) = documents.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
        .into_iter()
        .filter(|document| {
            document.lines().any(|line| {
                let line = line.trim();
                !line.is_empty() && !line.starts_with('#')
            })
        })
        .collect()
}

/// Reads one document as `T`, and checks that no field of the YAML was
/// dropped on the way (k8s-openapi ignores unknown fields, so a misspelt
/// `readinesProbe` would otherwise vanish without a word).
fn typed<T: DeserializeOwned + serde::Serialize>(file: &str, document: &str) -> T {
    let object: T = serde_saphyr::from_str(document).unwrap_or_else(|error| panic!("{file}: {error}"));
    let as_written: serde_json::Value =
        serde_saphyr::from_str(document).unwrap_or_else(|error| panic!("{file}: {error}"));
    let as_read = serde_json::to_value(&object).expect("k8s-openapi objects serialize");
    assert_eq!(
        as_read, as_written,
        "{file}: a field is unknown to k8s-openapi or written in the wrong shape"
    );
    object
}

/// The files `kubectl apply -f deploy/` applies: the directory's own
/// `.yaml` files (not those of its subdirectories), in name order.
fn deploy_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(deploy_dir()).expect("deploy/ exists") {
        let path = entry.expect("deploy/ is readable").path();
        if path.is_dir() {
            continue;
        }
        let name = path.file_name().expect("a file name").to_string_lossy();
        assert!(name.ends_with(".yaml"), "{name}: deploy/ holds only .yaml files");
        files.push(path);
    }
    files.sort();
    files
}

/// What the variant for one watched namespace applies: `deploy/` with
/// `10-rbac.yaml` replaced by `one-namespace/rbac.yaml`, as that file's
/// header says.
fn one_namespace_files() -> Vec<PathBuf> {
    let mut files = deploy_files();
    let rbac = files
        .iter_mut()
        .find(|path| path.ends_with("10-rbac.yaml"))
        .expect("deploy/10-rbac.yaml");
    *rbac = deploy_dir().join(ONE_NAMESPACE_RBAC);
    files
}

/// The RBAC file that replaces `10-rbac.yaml` for `--namespace`.
const ONE_NAMESPACE_RBAC: &str = "one-namespace/rbac.yaml";

/// The namespace `one-namespace/rbac.yaml` is written for.
const WATCHED: &str = "apps";

fn load() -> Objects {
    load_files(&deploy_files())
}

fn load_files(files: &[PathBuf]) -> Objects {
    let mut objects = Objects::default();
    for path in files {
        let file = path.file_name().expect("a file name").to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).expect("deploy/ files are UTF-8");
        for document in documents(&text) {
            let meta: TypeMeta = serde_saphyr::from_str(&document).unwrap_or_else(|error| panic!("{file}: {error}"));
            match (meta.api_version.as_str(), meta.kind.as_str()) {
                ("v1", "Namespace") => objects.namespaces.push(typed(&file, &document)),
                ("v1", "ServiceAccount") => objects.service_accounts.push(typed(&file, &document)),
                ("rbac.authorization.k8s.io/v1", "ClusterRole") => objects.cluster_roles.push(typed(&file, &document)),
                ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                    objects.cluster_role_bindings.push(typed(&file, &document));
                }
                ("rbac.authorization.k8s.io/v1", "Role") => objects.roles.push(typed(&file, &document)),
                ("rbac.authorization.k8s.io/v1", "RoleBinding") => objects.role_bindings.push(typed(&file, &document)),
                ("apps/v1", "Deployment") => objects.deployments.push(typed(&file, &document)),
                ("v1", "Service") => objects.services.push(typed(&file, &document)),
                ("networking.k8s.io/v1", "IngressClass") => objects.ingress_classes.push(typed(&file, &document)),
                (api_version, kind) => panic!("{file}: unexpected {api_version} {kind}"),
            }
            objects.order.push((file.clone(), meta.kind));
        }
    }
    objects
}

fn only<'a, T>(objects: &'a [T], what: &str) -> &'a T {
    match objects {
        [object] => object,
        _ => panic!("deploy/ holds {} of {what}, not exactly one", objects.len()),
    }
}

fn deployment(objects: &Objects) -> &Deployment {
    only(&objects.deployments, "Deployment")
}

fn pod(objects: &Objects) -> &PodSpec {
    deployment(objects)
        .spec
        .template
        .spec
        .as_ref()
        .expect("Deployment.spec.template.spec")
}

fn container(objects: &Objects) -> &Container {
    only(&pod(objects).containers, "container")
}

/// The container's `args`, parsed by the gateway's own command line.
fn serve_args(objects: &Objects) -> ServeArgs {
    let container = container(objects);
    let args = container.args.clone().unwrap_or_default();
    let cli = Cli::try_parse_from(std::iter::once("ingress-gateway".to_owned()).chain(args))
        .unwrap_or_else(|error| panic!("the container's args do not parse: {error}"));
    match cli.command {
        Command::Serve(serve) => serve,
        other => panic!("the container runs {other:?}, not serve"),
    }
}

/// The number of the container port named or numbered by `port`.
fn container_port(objects: &Objects, port: &IntOrString) -> i32 {
    let ports = container(objects).ports.clone().unwrap_or_default();
    match port {
        IntOrString::Int(number) => {
            assert!(
                ports.iter().any(|p| p.container_port == *number),
                "port {number} is not a containerPort"
            );
            *number
        }
        IntOrString::String(name) => {
            ports
                .iter()
                .find(|p| p.name.as_deref() == Some(name))
                .unwrap_or_else(|| panic!("no containerPort is named {name:?}"))
                .container_port
        }
    }
}

/// The containerPort of the given name.
fn named_port(objects: &Objects, name: &str) -> i32 {
    container_port(objects, &IntOrString::String(name.to_owned()))
}

#[test]
fn deploy_holds_each_kind_once_and_the_namespace_comes_first() {
    let objects = load();
    let kinds: BTreeSet<&str> = objects.order.iter().map(|(_, kind)| kind.as_str()).collect();
    let expected: BTreeSet<&str> = [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
        "IngressClass",
    ]
    .into();
    assert_eq!(kinds, expected);
    assert_eq!(
        objects.order.len(),
        expected.len(),
        "each kind once: {:?}",
        objects.order
    );
    assert_eq!(objects.order.first().map(|(_, kind)| kind.as_str()), Some("Namespace"));
    let namespace = only(&objects.namespaces, "Namespace");
    assert_eq!(namespace.metadata.name.as_deref(), Some(NAMESPACE));
}

#[test]
fn namespaced_objects_live_in_the_gateways_namespace() {
    let objects = load();
    let namespaces = [
        only(&objects.service_accounts, "ServiceAccount")
            .metadata
            .namespace
            .as_deref(),
        deployment(&objects).metadata.namespace.as_deref(),
        only(&objects.services, "Service").metadata.namespace.as_deref(),
        only(&objects.roles, "Role").metadata.namespace.as_deref(),
        only(&objects.role_bindings, "RoleBinding")
            .metadata
            .namespace
            .as_deref(),
    ];
    assert_eq!(namespaces, [Some(NAMESPACE); 5]);
    assert_eq!(only(&objects.cluster_roles, "ClusterRole").metadata.namespace, None);
    assert_eq!(only(&objects.ingress_classes, "IngressClass").metadata.namespace, None);
}

/// Every (group, resource, verb) `rules` grant; no rule limited to names
/// or granting non-resource URLs, no wildcard, nothing granted twice.
fn grants(rules: &[PolicyRule]) -> BTreeSet<(String, String, String)> {
    let mut granted = BTreeSet::new();
    for rule in rules {
        assert_eq!(rule.resource_names, None, "no rule is limited to names");
        assert_eq!(rule.non_resource_urls, None, "no rule grants non-resource URLs");
        for group in rule.api_groups.as_deref().unwrap_or_default() {
            for resource in rule.resources.as_deref().unwrap_or_default() {
                for verb in &rule.verbs {
                    assert!(
                        granted.insert((group.clone(), resource.clone(), verb.clone())),
                        "{group}/{resource} {verb} granted twice"
                    );
                }
            }
        }
    }
    granted
}

fn expected(grants: &[(&str, &str, &[&str])]) -> BTreeSet<(String, String, String)> {
    grants
        .iter()
        .flat_map(|(group, resource, verbs)| {
            verbs
                .iter()
                .map(|verb| ((*group).to_owned(), (*resource).to_owned(), (*verb).to_owned()))
        })
        .collect()
}

#[test]
fn rbac_reads_the_watched_resources_and_writes_only_ingress_status_and_events() {
    let objects = load();
    let role = only(&objects.cluster_roles, "ClusterRole");
    let read = ["get", "list", "watch"].as_slice();
    // Exactly these: read-only verbs on the watched kinds (Secrets for the
    // certificates of --listen-tls), and of writes only the status
    // subresource (patch) and Events.
    let granted = grants(role.rules.as_deref().unwrap_or_default());
    assert_eq!(
        granted,
        expected(&[
            ("networking.k8s.io", "ingresses", read),
            ("networking.k8s.io", "ingressclasses", read),
            ("", "services", read),
            ("discovery.k8s.io", "endpointslices", read),
            ("", "secrets", read),
            ("networking.k8s.io", "ingresses/status", &["patch"]),
            ("events.k8s.io", "events", &["create", "patch"]),
        ])
    );
}

#[test]
fn the_leader_election_role_grants_leases_in_the_gateways_namespace_to_its_account() {
    let objects = load();
    let role = only(&objects.roles, "Role");
    assert_eq!(
        grants(role.rules.as_deref().unwrap_or_default()),
        expected(&[("coordination.k8s.io", "leases", &["get", "create", "patch"])])
    );
    let binding = only(&objects.role_bindings, "RoleBinding");
    assert_eq!(binding.role_ref.kind, "Role");
    assert_eq!(Some(&binding.role_ref.name), role.metadata.name.as_ref());
    let account = only(&objects.service_accounts, "ServiceAccount");
    let subject = only(binding.subjects.as_deref().unwrap_or_default(), "subject");
    assert_eq!(subject.kind, "ServiceAccount");
    assert_eq!(Some(&subject.name), account.metadata.name.as_ref());
    assert_eq!(subject.namespace.as_deref(), Some(NAMESPACE));
}

#[test]
fn the_deployment_publishes_its_own_service_and_names_its_pod_for_the_election() {
    let objects = load();
    let serve = serve_args(&objects);
    let published = serve.source.publish_service.expect("--publish-service");
    let service = only(&objects.services, "Service");
    assert_eq!(
        Some(published.namespace.as_str()),
        service.metadata.namespace.as_deref()
    );
    assert_eq!(Some(published.name.as_str()), service.metadata.name.as_deref());
    let env = container(&objects).env.as_deref().unwrap_or_default();
    for (name, field) in [("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace")] {
        let from = env
            .iter()
            .find(|var| var.name == name)
            .and_then(|var| var.value_from.as_ref())
            .and_then(|from| from.field_ref.as_ref())
            .map(|field| field.field_path.as_str());
        assert_eq!(from, Some(field), "{name} from the downward API");
    }
}

#[test]
fn cluster_role_binding_names_the_role_and_the_deployments_service_account() {
    let objects = load();
    let role = only(&objects.cluster_roles, "ClusterRole");
    let binding = only(&objects.cluster_role_bindings, "ClusterRoleBinding");
    assert_eq!(binding.role_ref.api_group.as_deref(), Some("rbac.authorization.k8s.io"));
    assert_eq!(binding.role_ref.kind, "ClusterRole");
    assert_eq!(Some(&binding.role_ref.name), role.metadata.name.as_ref());

    let account = only(&objects.service_accounts, "ServiceAccount");
    let used = pod(&objects)
        .service_account_name
        .as_deref()
        .expect("the pod names its ServiceAccount");
    assert_eq!(account.metadata.name.as_deref(), Some(used));
    let subject = only(binding.subjects.as_deref().unwrap_or_default(), "subject");
    assert_eq!(subject.kind, "ServiceAccount");
    assert_eq!(subject.name, used);
    assert_eq!(subject.namespace.as_deref(), Some(NAMESPACE));
}

#[test]
fn deployment_runs_two_replicas_selecting_its_own_pods() {
    let objects = load();
    let spec = &deployment(&objects).spec;
    assert_eq!(spec.replicas, Some(2));
    let selector = spec.selector.match_labels.as_ref().expect("matchLabels");
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|meta| meta.labels.as_ref())
        .expect("pod labels");
    for (key, value) in selector {
        assert_eq!(
            labels.get(key),
            Some(value),
            "the selector matches the pod template at {key}"
        );
    }
}

#[test]
fn container_runs_non_root_read_only_without_capabilities() {
    let objects = load();
    let pod_security = pod(&objects).security_context.as_ref().expect("pod securityContext");
    assert_eq!(pod_security.run_as_non_root, Some(true));
    assert_eq!(pod_security.run_as_user, Some(65532));

    let security = container(&objects)
        .security_context
        .as_ref()
        .expect("container securityContext");
    assert_eq!(security.run_as_non_root, Some(true));
    assert_eq!(security.run_as_user, Some(65532));
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(security.privileged, None);
    let capabilities = security.capabilities.as_ref().expect("capabilities");
    assert_eq!(capabilities.drop.as_deref(), Some(&["ALL".to_owned()][..]));
    assert_eq!(capabilities.add, None);
    let seccomp = security.seccomp_profile.as_ref().expect("seccompProfile");
    assert_eq!(seccomp.type_, "RuntimeDefault");
}

#[test]
fn container_ports_are_unprivileged() {
    let objects = load();
    let ports = container(&objects).ports.clone().unwrap_or_default();
    assert_eq!(ports.len(), 3, "traffic, TLS traffic and admin");
    for port in ports {
        assert!(
            port.container_port > 1024,
            "port {} needs no privilege",
            port.container_port
        );
        assert_eq!(port.host_port, None, "no hostPort");
    }
}

#[test]
fn probes_ask_readyz_and_healthz_on_the_admin_port() {
    let objects = load();
    let container = container(&objects);
    let admin = named_port(&objects, "admin");
    for (probe, path) in [
        (&container.readiness_probe, "/readyz"),
        (&container.liveness_probe, "/healthz"),
    ] {
        let get = probe
            .as_ref()
            .and_then(|probe| probe.http_get.as_ref())
            .expect("an httpGet probe");
        assert_eq!(get.path.as_deref(), Some(path));
        assert_eq!(
            container_port(&objects, &get.port),
            admin,
            "{path} is on the admin port"
        );
        assert_eq!(get.scheme.as_deref().unwrap_or("HTTP"), "HTTP");
    }
}

#[test]
fn container_requests_cpu_and_memory_and_limits_memory() {
    let objects = load();
    let resources = container(&objects).resources.as_ref().expect("resources");
    let requests = resources.requests.as_ref().expect("resources.requests");
    assert!(
        requests.contains_key("cpu") && requests.contains_key("memory"),
        "{requests:?}"
    );
    let limits = resources.limits.as_ref().expect("resources.limits");
    assert!(limits.contains_key("memory"), "{limits:?}");
}

#[test]
fn container_args_parse_as_serve_kube_on_the_declared_ports() {
    let objects = load();
    assert_eq!(
        container(&objects).command,
        None,
        "the image's entrypoint is the gateway"
    );
    let serve = serve_args(&objects);
    assert!(serve.source.kube, "--kube");
    assert_eq!(serve.source.manifests, None);
    assert_eq!(serve.source.controller, ingress_kube::DEFAULT_CONTROLLER);

    let admin = serve.admin_listen.expect("--admin-listen, for the probes");
    let tls = serve.tls.listen_tls.expect("--listen-tls");
    for (address, name) in [(serve.listen, "http"), (tls, "https"), (admin, "admin")] {
        assert!(
            address.ip().is_unspecified(),
            "{address} is reachable from outside the pod"
        );
        assert_eq!(i32::from(address.port()), named_port(&objects, name), "{name}");
    }
}

#[test]
fn service_is_a_load_balancer_onto_the_traffic_port() {
    let objects = load();
    let service = only(&objects.services, "Service");
    let spec = service.spec.as_ref().expect("Service.spec");
    assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
    let serve = serve_args(&objects);
    let ports = spec.ports.as_deref().unwrap_or_default();
    let tls = serve.tls.listen_tls.expect("--listen-tls");
    let wanted = [(80, serve.listen.port()), (443, tls.port())];
    assert_eq!(ports.len(), wanted.len(), "{ports:?}");
    for (port, (public, listening)) in ports.iter().zip(wanted) {
        assert_eq!(port.port, public);
        let target = port.target_port.as_ref().expect("targetPort");
        assert_eq!(container_port(&objects, target), i32::from(listening));
    }
    // The redirect names the Service's HTTPS port, not the container's.
    assert_eq!(serve.tls.https_redirect_port, Some(443));

    let labels = deployment(&objects)
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|meta| meta.labels.as_ref())
        .expect("pod labels");
    let selector = spec.selector.as_ref().expect("Service.spec.selector");
    for (key, value) in selector {
        assert_eq!(
            labels.get(key),
            Some(value),
            "the Service selects the gateway's pods at {key}"
        );
    }
}

#[test]
fn ingress_class_names_the_gateways_default_controller_and_is_not_default() {
    let objects = load();
    let class = only(&objects.ingress_classes, "IngressClass");
    let spec = class.spec.as_ref().expect("IngressClass.spec");
    assert_eq!(spec.controller.as_deref(), Some(ingress_kube::DEFAULT_CONTROLLER));
    let default = class
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get("ingressclass.kubernetes.io/is-default-class"));
    assert_ne!(
        default.map(String::as_str),
        Some("true"),
        "installing must not take over unclassed Ingresses"
    );
}

#[test]
fn dockerfile_exposes_the_container_ports_and_runs_as_the_pod_user() {
    let objects = load();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Dockerfile");
    let dockerfile = std::fs::read_to_string(path).expect("Dockerfile at the repository root");
    let instruction = |name: &str| -> Vec<String> {
        dockerfile
            .lines()
            .filter_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .map(str::to_owned)
            .collect()
    };
    let exposed: BTreeSet<i32> = instruction("EXPOSE")
        .iter()
        .flat_map(|ports| {
            ports
                .split_whitespace()
                .map(|port| port.parse::<i32>().expect("a port number"))
        })
        .collect();
    let declared: BTreeSet<i32> = ["http", "https", "admin"]
        .iter()
        .map(|name| named_port(&objects, name))
        .collect();
    assert_eq!(exposed, declared);

    let run_as = container(&objects)
        .security_context
        .as_ref()
        .and_then(|security| security.run_as_user);
    let users = instruction("USER");
    let last = users.last().expect("a USER instruction");
    let uid = last.split(':').next().and_then(|uid| uid.parse::<i64>().ok());
    assert_eq!(uid, run_as, "the image runs as the user the pod asks for");
}

/// One request as RBAC authorizes it: who asks is the Deployment's
/// service account; what is asked is a verb on a resource of an API
/// group, in a namespace or cluster-wide.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Access {
    namespace: Option<String>,
    group: String,
    resource: String,
    verb: String,
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let group = if self.group.is_empty() { "core" } else { &self.group };
        match &self.namespace {
            Some(namespace) => write!(f, "{} {group}/{} in {namespace}", self.verb, self.resource),
            None => write!(f, "{} {group}/{} cluster-wide", self.verb, self.resource),
        }
    }
}

/// The access a request to the API server needs, read from its method and
/// path as the API server's request-info resolver reads them, for the
/// shapes of request kube-rs makes (others, such as the legacy `/watch/`
/// prefix or a namespace's own subresources, are not handled):
/// `/api/v1/...` is the core group, `/apis/GROUP/VERSION/...` another;
/// `namespaces/NS/` narrows to a namespace; a name makes a collection verb
/// (`list`, `watch`, `create`) an object verb (`get`, `update`, `patch`,
/// `delete`), and a segment after the name is a subresource.
fn access(request: &RequestRecord) -> Access {
    let path = request.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match segments.as_slice() {
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", group, _version, rest @ ..] => (*group, rest),
        _ => panic!("{} {path}: not a resource request", request.method),
    };
    let (namespace, rest) = match rest {
        ["namespaces", namespace, rest @ ..] if !rest.is_empty() => (Some((*namespace).to_owned()), rest),
        _ => (None, rest),
    };
    let (resource, named) = match rest {
        [resource] => ((*resource).to_owned(), false),
        [resource, _name] => ((*resource).to_owned(), true),
        [resource, _name, subresource] => (format!("{resource}/{subresource}"), true),
        _ => panic!("{} {path}: not a resource request", request.method),
    };
    let verb = match (request.method.as_str(), named) {
        ("GET", true) => "get",
        ("GET", false) if request.is_watch() => "watch",
        ("GET", false) => "list",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        (method, _) => panic!("{method} {path}: not a verb RBAC knows"),
    };
    Access {
        namespace,
        group: group.to_owned(),
        resource,
        verb: verb.to_owned(),
    }
}

/// The rules bound to the service account of `objects`, each with the
/// namespace it holds in (`None`: cluster-wide, from a ClusterRoleBinding).
/// A binding naming a role that `objects` lacks fails the test.
fn bound_rules(objects: &Objects) -> Vec<(Option<&str>, &[PolicyRule])> {
    let account = only(&objects.service_accounts, "ServiceAccount");
    let names_account = |subjects: Option<&Vec<Subject>>| {
        subjects.into_iter().flatten().any(|subject| {
            subject.kind == "ServiceAccount"
                && Some(&subject.name) == account.metadata.name.as_ref()
                && subject.namespace == account.metadata.namespace
        })
    };
    let cluster_role = |name: &str| {
        let role = objects
            .cluster_roles
            .iter()
            .find(|role| role.metadata.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("a binding names a missing ClusterRole {name}"));
        role.rules.as_deref().unwrap_or_default()
    };
    let mut bound = Vec::new();
    for binding in &objects.cluster_role_bindings {
        if names_account(binding.subjects.as_ref()) {
            assert_eq!(binding.role_ref.kind, "ClusterRole");
            bound.push((None, cluster_role(&binding.role_ref.name)));
        }
    }
    for binding in &objects.role_bindings {
        if !names_account(binding.subjects.as_ref()) {
            continue;
        }
        let namespace = binding.metadata.namespace.as_deref();
        let rules = match binding.role_ref.kind.as_str() {
            "ClusterRole" => cluster_role(&binding.role_ref.name),
            _ => {
                let role = objects
                    .roles
                    .iter()
                    .find(|role| {
                        role.metadata.name.as_deref() == Some(binding.role_ref.name.as_str())
                            && role.metadata.namespace.as_deref() == namespace
                    })
                    .unwrap_or_else(|| panic!("a RoleBinding names a missing Role {}", binding.role_ref.name));
                role.rules.as_deref().unwrap_or_default()
            }
        };
        bound.push((namespace, rules));
    }
    bound
}

/// The rules that apply to `access`: those bound cluster-wide, and, for a
/// namespaced request, those bound in its namespace.
fn applicable_rules<'a>(objects: &'a Objects, access: &Access) -> Vec<&'a PolicyRule> {
    bound_rules(objects)
        .into_iter()
        .filter(|(namespace, _)| namespace.is_none() || *namespace == access.namespace.as_deref())
        .flat_map(|(_, rules)| rules)
        .collect()
}

/// Whether a rule of `rules` grants `access`.
fn granted(rules: &[&PolicyRule], access: &Access) -> bool {
    rules.iter().any(|rule| {
        let has = |list: Option<&Vec<String>>, item: &str| list.is_some_and(|list| list.iter().any(|x| x == item));
        has(rule.api_groups.as_ref(), &access.group)
            && has(rule.resources.as_ref(), &access.resource)
            && rule.verbs.contains(&access.verb)
    })
}

fn as_json<T: serde::Serialize>(object: &T) -> serde_json::Value {
    serde_json::to_value(object).expect("k8s-openapi objects serialize")
}

/// Runs the Deployment's own command line (its listeners moved to
/// loopback ports, `extra` flags added, its pod's downward-API variables
/// set) against a fake API server until it has done everything the grants
/// are for: listed and watched every kind, won its Lease, written the
/// status of a served Ingress in `watched` and an Event on a rejected one
/// there. Returns every access it asked for.
async fn run_deployment(objects: &Objects, watched: &str, extra: &[&str]) -> BTreeSet<Access> {
    let fake = FakeApiServer::start().await.expect("the fake API server starts");
    let dir = ingress_test_support::ManifestDir::new();
    let kubeconfig = fake.write_kubeconfig(dir.path()).expect("a kubeconfig");
    fake.apply(as_json(only(&objects.ingress_classes, "IngressClass")))
        .expect("the IngressClass applies");
    let mut published = as_json(only(&objects.services, "Service"));
    if let Some(object) = published.as_object_mut() {
        object.insert(
            "status".to_owned(),
            json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.80"}]}}),
        );
    }
    fake.apply(published).expect("the gateway's Service applies");
    let class = only(&objects.ingress_classes, "IngressClass").metadata.name.clone();
    let ingress = |name: &str, host: &str| {
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": watched},
            "spec": {"ingressClassName": class, "rules": [{"host": host, "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
        })
    };
    fake.apply(ingress("web", "web.example")).expect("an Ingress applies");
    // V2: an IP address as host, for an Event.
    fake.apply(ingress("broken", "10.0.0.9")).expect("an Ingress applies");

    let mut args: Vec<OsString> = container(objects)
        .args
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|arg| match arg.parse::<std::net::SocketAddr>() {
            Ok(_) => OsString::from("127.0.0.1:0"),
            Err(_) => OsString::from(arg),
        })
        .collect();
    args.extend(extra.iter().map(OsString::from));
    let pod_namespace = deployment(objects)
        .metadata
        .namespace
        .clone()
        .expect("the Deployment's namespace");
    let env = [
        ("KUBECONFIG", kubeconfig.as_os_str()),
        ("POD_NAME", "ingress-gateway-0".as_ref()),
        ("POD_NAMESPACE", pod_namespace.as_ref()),
    ];
    let gateway = Gateway::spawn(&args, &env).await;
    let status = || {
        fake.get("networking.k8s.io/v1", "Ingress", Some(watched), "web")
            .and_then(|ingress| ingress.pointer("/status/loadBalancer/ingress").cloned())
    };
    let started = Instant::now();
    while status() != Some(json!([{"ip": "203.0.113.80"}]))
        || fake.objects("events.k8s.io/v1", "Event", Some(watched)).is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no status and Event within 20 s\n{}",
            gateway.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(gateway);
    fake.requests().iter().map(access).collect()
}

/// Grants that a run does not use, and why they stay. Reading one object
/// (`get`) reveals nothing a `list` of its kind does not, so the watched
/// kinds keep it for tools that read one object. A repeated Event is
/// patched into a series; the run emits each Event once.
const UNUSED_BY_DESIGN: &[(&str, &str, &str)] = &[
    ("networking.k8s.io", "ingresses", "get"),
    ("networking.k8s.io", "ingressclasses", "get"),
    ("", "services", "get"),
    ("discovery.k8s.io", "endpointslices", "get"),
    ("", "secrets", "get"),
    ("events.k8s.io", "events", "patch"),
];

/// Holds `objects`' RBAC to the accesses `asked`: every one is allowed,
/// and every grant (of each bound role, in the namespace it is bound in)
/// is used by one of them or is listed in [`UNUSED_BY_DESIGN`].
fn check_least_privilege(objects: &Objects, asked: &BTreeSet<Access>) {
    let refused: Vec<String> = asked
        .iter()
        .filter(|access| !granted(&applicable_rules(objects, access), access))
        .map(ToString::to_string)
        .collect();
    assert!(refused.is_empty(), "RBAC refuses the gateway: {refused:#?}");

    let mut unused = Vec::new();
    for (namespace, rules) in bound_rules(objects) {
        for (group, resource, verb) in grants(rules) {
            let used = asked.iter().any(|access| {
                (access.group.as_str(), access.resource.as_str(), access.verb.as_str())
                    == (group.as_str(), resource.as_str(), verb.as_str())
                    && (namespace.is_none() || access.namespace.as_deref() == namespace)
            });
            let by_design = UNUSED_BY_DESIGN.contains(&(group.as_str(), resource.as_str(), verb.as_str()));
            if !used && !by_design {
                let group = if group.is_empty() { "core" } else { group.as_str() };
                unused.push(format!(
                    "{verb} {group}/{resource} in {}",
                    namespace.unwrap_or("the cluster")
                ));
            }
        }
    }
    assert!(unused.is_empty(), "granted but never asked for: {unused:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_allows_every_request_the_deployments_gateway_makes() {
    let objects = load();
    let asked = run_deployment(&objects, "default", &[]).await;
    check_least_privilege(&objects, &asked);
}

#[test]
fn one_namespace_rbac_grants_nothing_cluster_wide_but_reading_ingress_classes() {
    let objects = load_files(&one_namespace_files());
    let cluster_wide: BTreeSet<_> = objects
        .cluster_roles
        .iter()
        .flat_map(|role| grants(role.rules.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        cluster_wide,
        expected(&[("networking.k8s.io", "ingressclasses", &["get", "list", "watch"])])
    );
    let namespaces: BTreeSet<_> = objects
        .roles
        .iter()
        .map(|role| role.metadata.namespace.as_deref().expect("a Role's namespace"))
        .collect();
    assert_eq!(namespaces, BTreeSet::from([NAMESPACE, WATCHED]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_namespace_rbac_allows_every_request_of_a_gateway_watching_it() {
    let objects = load_files(&one_namespace_files());
    let asked = run_deployment(&objects, WATCHED, &["--namespace", WATCHED]).await;
    check_least_privilege(&objects, &asked);
}
