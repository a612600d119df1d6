//! `deploy/` and the `Dockerfile`, held to what the gateway really does.
//!
//! Every document of every file in `deploy/` is read as kube reads YAML
//! (serde-saphyr) into its k8s-openapi type, picked by `apiVersion` and
//! `kind`; a document of any other kind fails the test. The container's
//! arguments are parsed with the gateway's own command line, so a renamed
//! flag or a port that no longer matches a probe breaks the build here, not
//! in a cluster.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Parser as _;
use ingress_gateway::cli::{Cli, Command, ServeArgs};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Namespace, PodSpec, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::IngressClass;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;
use serde::de::DeserializeOwned;

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

fn load() -> Objects {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir())
        .expect("deploy/ exists")
        .map(|entry| entry.expect("deploy/ is readable").path())
        .collect();
    files.sort();
    let mut objects = Objects::default();
    for path in files {
        let file = path.file_name().expect("a file name").to_string_lossy().into_owned();
        assert!(file.ends_with(".yaml"), "{file}: deploy/ holds only .yaml files");
        let text = std::fs::read_to_string(&path).expect("deploy/ files are UTF-8");
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
        expected(&[("coordination.k8s.io", "leases", &["get", "create", "update", "patch"])])
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
