//! Building an [`EndpointTable`]: Services and their EndpointSlices in,
//! the ready addresses of every Service port out, with findings.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use ingress_core::validation::{ServiceBackend, ServicePort};
use k8s_openapi::Resource;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::finding::{EndpointFinding, EndpointProblem};
use super::reason::NoEndpoints;
use super::slice::ReadSlice;
use super::{EndpointTable, Resolved, SERVICE_NAME_LABEL, ServiceKind};
use crate::convert::namespace_of;
use crate::manifests::{ObjectId, Source};

/// An object and, when it came from manifests, where.
pub(super) type Input<'a, T> = (&'a T, Option<&'a Source>);

/// Builds the table: resolves every TCP port of every Service (B1) and
/// notes what a `check` should report.
pub(super) fn build<'a>(
    services: impl IntoIterator<Item = Input<'a, Service>>,
    slices: impl IntoIterator<Item = Input<'a, EndpointSlice>>,
) -> EndpointTable {
    let mut findings = Vec::new();

    // Services by namespace and name; a later definition replaces an
    // earlier one, as in `Manifests`.
    let mut by_name: BTreeMap<(&str, &str), Input<'a, Service>> = BTreeMap::new();
    for (service, source) in services {
        if let Some(name) = name_of(&service.metadata) {
            by_name.insert((namespace_of(&service.metadata), name), (service, source));
        }
    }

    // The EndpointSlices of each Service, read once.
    let mut slices_of: HashMap<(&str, &str), Vec<ReadSlice>> = HashMap::new();
    for (slice, source) in slices {
        let namespace = namespace_of(&slice.metadata);
        let mut problems = Vec::new();
        match service_label(slice) {
            None => problems.push(EndpointProblem::NoServiceLabel),
            Some(service) => match by_name.get(&(namespace, service)) {
                None => problems.push(EndpointProblem::UnknownService {
                    service: service.to_owned(),
                }),
                Some((service, _)) if external_name(service).is_some() => {}
                Some(_) => {
                    if let Some(read) = ReadSlice::read(slice, &mut problems) {
                        slices_of.entry((namespace, service)).or_default().push(read);
                    }
                }
            },
        }
        let object = object_id::<EndpointSlice>(&slice.metadata);
        findings.extend(problems.into_iter().map(|problem| EndpointFinding {
            source: source.cloned(),
            object: object.clone(),
            problem,
        }));
    }

    let mut table = EndpointTable::default();
    for (&(namespace, name), &(service, source)) in &by_name {
        let namespace_key: Arc<str> = namespace.into();
        let name_key: Arc<str> = name.into();
        let mut note = |problem| {
            findings.push(EndpointFinding {
                source: source.cloned(),
                object: object_id::<Service>(&service.metadata),
                problem,
            });
        };
        if let Some(external) = external_name(service) {
            note(EndpointProblem::ExternalName {
                external_name: external.to_owned(),
            });
            let kind = ServiceKind::ExternalName(external.into());
            table.services.entry(namespace_key).or_default().insert(name_key, kind);
            continue;
        }
        let slices = slices_of.get(&(namespace, name)).map(Vec::as_slice).unwrap_or_default();
        for (number, port_name) in tcp_ports(service) {
            let resolved = resolve_port(slices, port_name);
            if let Err(reason) = &resolved {
                note(EndpointProblem::NoReadyEndpoints {
                    port: number,
                    name: (!port_name.is_empty()).then(|| port_name.to_owned()),
                    reason: reason.clone(),
                });
            }
            let key = |port| ServiceBackend {
                namespace: Arc::clone(&namespace_key),
                name: Arc::clone(&name_key),
                port,
            };
            if !port_name.is_empty() {
                let by_name = key(ServicePort::Name(port_name.into()));
                table.ports.entry(by_name).or_insert_with(|| resolved.clone());
            }
            table.ports.entry(key(ServicePort::Number(number))).or_insert(resolved);
        }
        let kind = ServiceKind::Cluster;
        table.services.entry(namespace_key).or_default().insert(name_key, kind);
    }

    findings.sort();
    findings.dedup();
    table.findings = findings;
    table
}

/// The ready addresses for the Service port named `name` (empty when
/// unnamed): in each slice listing a port of that name, its number with
/// the addresses of the ready endpoints; sorted, each once.
fn resolve_port(slices: &[ReadSlice], name: &str) -> Resolved {
    let mut listed = false;
    let mut addresses = BTreeSet::new();
    for slice in slices {
        let Some(port) = slice.port(name) else { continue };
        listed = true;
        addresses.extend(slice.ready().iter().map(|&address| SocketAddr::new(address, port)));
    }
    match (addresses.is_empty(), listed) {
        (false, _) => Ok(addresses.into_iter().collect()),
        (true, true) => Err(NoEndpoints::NoReadyEndpoints),
        (true, false) => Err(NoEndpoints::NoEndpointSlices),
    }
}

/// `spec.ports[]` with protocol TCP (or unset): number and name (empty
/// when unset). Ports whose number is not in 1-65535 are left out.
fn tcp_ports(service: &Service) -> impl Iterator<Item = (u16, &str)> {
    let ports = service.spec.as_ref().and_then(|spec| spec.ports.as_deref());
    ports
        .unwrap_or_default()
        .iter()
        .filter(|port| port.protocol.as_deref().is_none_or(|protocol| protocol == "TCP"))
        .filter_map(|port| {
            let number = u16::try_from(port.port).ok().filter(|&number| number != 0)?;
            Some((number, port.name.as_deref().unwrap_or_default()))
        })
}

/// `spec.externalName` (empty when unset) of a Service of type
/// `ExternalName`.
fn external_name(service: &Service) -> Option<&str> {
    let spec = service.spec.as_ref()?;
    (spec.type_.as_deref() == Some("ExternalName")).then(|| spec.external_name.as_deref().unwrap_or_default())
}

/// The label naming a slice's Service, when set and not empty.
fn service_label(slice: &EndpointSlice) -> Option<&str> {
    let labels = slice.metadata.labels.as_ref()?;
    labels
        .get(SERVICE_NAME_LABEL)
        .map(String::as_str)
        .filter(|name| !name.is_empty())
}

/// `metadata.name`, when set and not empty.
fn name_of(metadata: &ObjectMeta) -> Option<&str> {
    metadata.name.as_deref().filter(|name| !name.is_empty())
}

/// The identity findings are reported under.
fn object_id<K: Resource>(metadata: &ObjectMeta) -> ObjectId {
    ObjectId {
        kind: K::KIND,
        namespace: Some(namespace_of(metadata).to_owned()),
        name: metadata.name.clone().unwrap_or_default(),
    }
}
