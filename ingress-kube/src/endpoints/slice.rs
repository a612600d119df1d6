//! One EndpointSlice, read once: its ports by name and the addresses of
//! its ready endpoints.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use k8s_openapi::api::discovery::v1::{Endpoint, EndpointSlice};

use super::finding::EndpointProblem;

/// An EndpointSlice of a Service, ready to give endpoints for any of the
/// Service's ports.
#[derive(Debug)]
pub(super) struct ReadSlice {
    /// `ports[]`: the name (empty when unset) and the number, `None` when
    /// it is missing or out of range.
    ports: Vec<(String, Option<u16>)>,
    /// The addresses of the ready endpoints, in slice order.
    ready: Vec<IpAddr>,
}

impl ReadSlice {
    /// Reads `slice`, noting its problems in `problems`; `None` when its
    /// `addressType` is not IPv4 or IPv6 (FQDN slices are not used).
    pub(super) fn read(slice: &EndpointSlice, problems: &mut Vec<EndpointProblem>) -> Option<Self> {
        let parse: fn(&str) -> Option<IpAddr> = match slice.address_type.as_str() {
            "IPv4" => |text| text.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
            "IPv6" => |text| text.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
            other => {
                problems.push(EndpointProblem::UnsupportedAddressType {
                    address_type: other.to_owned(),
                });
                return None;
            }
        };
        let ports = slice.ports.as_deref().unwrap_or_default();
        let ports = ports
            .iter()
            .enumerate()
            .map(|(index, port)| {
                let number = port
                    .port
                    .and_then(|number| u16::try_from(number).ok())
                    .filter(|&n| n != 0);
                if number.is_none() {
                    problems.push(EndpointProblem::BadPort {
                        field: format!("ports[{index}].port"),
                        port: port.port,
                    });
                }
                (port.name.clone().unwrap_or_default(), number)
            })
            .collect();
        let mut ready = Vec::new();
        for (index, endpoint) in slice.endpoints.endpoint_list().iter().enumerate() {
            let is_ready = is_ready(endpoint);
            for (position, text) in endpoint.addresses.iter().enumerate() {
                match parse(text) {
                    Some(address) if is_ready => ready.push(address),
                    Some(_) => {}
                    None => problems.push(EndpointProblem::BadAddress {
                        field: format!("endpoints[{index}].addresses[{position}]"),
                        address: text.clone(),
                        address_type: slice.address_type.clone(),
                    }),
                }
            }
        }
        Some(Self { ports, ready })
    }

    /// The endpoints' port number for the Service port named `name` (empty
    /// for an unnamed port): the slice port of the same name, as the
    /// endpoint controller resolves a named `targetPort` per slice (B1).
    /// `None` when the slice has no such port, or no usable number for it.
    pub(super) fn port(&self, name: &str) -> Option<u16> {
        self.ports
            .iter()
            .find(|(port_name, _)| port_name == name)
            .and_then(|&(_, number)| number)
    }

    /// The addresses of the ready endpoints.
    pub(super) fn ready(&self) -> &[IpAddr] {
        &self.ready
    }
}

/// `conditions.ready`, with a missing value (or missing conditions) read
/// as ready, as the API says; `serving` and `terminating` are not looked
/// at.
fn is_ready(endpoint: &Endpoint) -> bool {
    endpoint
        .conditions
        .as_ref()
        .and_then(|conditions| conditions.ready)
        .unwrap_or(true)
}

/// `EndpointSlice.endpoints` is a list in the Kubernetes 1.33 to 1.35
/// types of k8s-openapi and an optional list from 1.36 on; the library
/// enables no version, so it reads (and strips) both.
pub(crate) trait EndpointList {
    fn endpoint_list(&self) -> &[Endpoint];
    /// The list to change in place (the cluster source strips it); `None`
    /// when the field is unset.
    #[cfg(feature = "cluster")]
    fn endpoint_list_mut(&mut self) -> Option<&mut Vec<Endpoint>>;
}

impl EndpointList for Vec<Endpoint> {
    fn endpoint_list(&self) -> &[Endpoint] {
        self
    }

    #[cfg(feature = "cluster")]
    fn endpoint_list_mut(&mut self) -> Option<&mut Vec<Endpoint>> {
        Some(self)
    }
}

impl EndpointList for Option<Vec<Endpoint>> {
    fn endpoint_list(&self) -> &[Endpoint] {
        self.as_deref().unwrap_or_default()
    }

    #[cfg(feature = "cluster")]
    fn endpoint_list_mut(&mut self) -> Option<&mut Vec<Endpoint>> {
        self.as_mut()
    }
}
