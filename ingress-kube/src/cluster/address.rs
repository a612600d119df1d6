//! The address the gateway publishes in `status.loadBalancer.ingress`:
//! given outright, or read from a Service as ingress-nginx's
//! `--publish-service` reads it.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::IngressLoadBalancerIngress;

/// One published address: an IP or a DNS name.
///
/// ```
/// use ingress_kube::cluster::StatusAddress;
///
/// let ip: StatusAddress = "203.0.113.7".parse()?;
/// assert_eq!(ip, StatusAddress::Ip("203.0.113.7".parse().unwrap()));
/// let name: StatusAddress = "lb.example.com".parse()?;
/// assert_eq!(name.to_string(), "lb.example.com");
/// assert!("not a name!".parse::<StatusAddress>().is_err());
/// # Ok::<(), ingress_kube::cluster::AddressError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusAddress {
    /// Written as `ip`.
    Ip(IpAddr),
    /// Written as `hostname`.
    Hostname(String),
}

impl StatusAddress {
    /// As an entry of `status.loadBalancer.ingress`.
    pub(crate) fn to_entry(&self) -> IngressLoadBalancerIngress {
        match self {
            Self::Ip(ip) => IngressLoadBalancerIngress {
                ip: Some(ip.to_string()),
                ..Default::default()
            },
            Self::Hostname(name) => IngressLoadBalancerIngress {
                hostname: Some(name.clone()),
                ..Default::default()
            },
        }
    }
}

impl fmt::Display for StatusAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Hostname(name) => f.write_str(name),
        }
    }
}

/// Text that is neither an IP address nor a DNS name (RFC 1123: labels
/// of letters, digits and `-`, at most 253 characters in all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError {
    text: String,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is neither an IP address nor a DNS name", self.text)
    }
}

impl std::error::Error for AddressError {}

impl FromStr for StatusAddress {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        let name = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if name.len() <= 253 && name.split('.').all(label_ok) {
            Ok(Self::Hostname(name))
        } else {
            Err(AddressError { text: text.to_owned() })
        }
    }
}

/// Where the published address comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublishedAddress {
    /// These addresses (`--publish-status-address`).
    Fixed(Vec<StatusAddress>),
    /// The address of this Service, followed as it changes
    /// (`--publish-service`): see [`service_addresses`].
    Service {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
}

/// The addresses a Service is reached at, as ingress-nginx reads them:
/// its load balancer's `status.loadBalancer.ingress` (IPs and hostnames),
/// else its `spec.externalIPs`, else its cluster IP (none for a headless
/// Service); an `ExternalName` Service gives its name. Sorted, without
/// duplicates; empty when the Service has none yet.
///
/// ```
/// use ingress_kube::cluster::{StatusAddress, service_addresses};
/// use k8s_openapi::api::core::v1::Service;
///
/// let service: Service = serde_json::from_value(serde_json::json!({
///     "spec": { "type": "LoadBalancer", "clusterIP": "10.96.0.10" },
///     "status": { "loadBalancer": { "ingress": [{ "hostname": "lb.example.com" }] } }
/// }))?;
/// assert_eq!(service_addresses(&service), [StatusAddress::Hostname("lb.example.com".into())]);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn service_addresses(service: &Service) -> Vec<StatusAddress> {
    let spec = service.spec.as_ref();
    let mut addresses: Vec<StatusAddress> = Vec::new();
    if spec.and_then(|spec| spec.type_.as_deref()) == Some("ExternalName") {
        addresses.extend(
            spec.and_then(|spec| spec.external_name.as_deref())
                .and_then(|name| name.parse().ok()),
        );
        return addresses;
    }
    let balancer = service
        .status
        .as_ref()
        .and_then(|status| status.load_balancer.as_ref())
        .and_then(|balancer| balancer.ingress.as_ref());
    for entry in balancer.into_iter().flatten() {
        let text = entry.ip.as_deref().or(entry.hostname.as_deref());
        addresses.extend(text.and_then(|text| text.parse().ok()));
    }
    if addresses.is_empty() {
        let external = spec.and_then(|spec| spec.external_ips.as_ref());
        addresses.extend(external.into_iter().flatten().filter_map(|ip| ip.parse().ok()));
    }
    if addresses.is_empty() {
        let cluster = spec.and_then(|spec| spec.cluster_ip.as_deref());
        addresses.extend(cluster.and_then(|ip| ip.parse::<IpAddr>().ok()).map(StatusAddress::Ip));
    }
    addresses.sort();
    addresses.dedup();
    addresses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(value: serde_json::Value) -> Service {
        serde_json::from_value(value).unwrap_or_default()
    }

    fn texts(service: &Service) -> Vec<String> {
        service_addresses(service).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn load_balancer_ingress_comes_before_external_ips_before_the_cluster_ip() {
        let all = service(serde_json::json!({
            "spec": { "clusterIP": "10.96.0.10", "externalIPs": ["198.51.100.2"] },
            "status": { "loadBalancer": { "ingress": [{ "ip": "203.0.113.9" }, { "hostname": "lb.example" }] } }
        }));
        assert_eq!(texts(&all), ["203.0.113.9", "lb.example"]);
        let external = service(serde_json::json!({
            "spec": { "clusterIP": "10.96.0.10", "externalIPs": ["198.51.100.2"] }
        }));
        assert_eq!(texts(&external), ["198.51.100.2"]);
        let cluster = service(serde_json::json!({ "spec": { "clusterIP": "10.96.0.10" } }));
        assert_eq!(texts(&cluster), ["10.96.0.10"]);
        let headless = service(serde_json::json!({ "spec": { "clusterIP": "None" } }));
        assert!(texts(&headless).is_empty());
    }

    #[test]
    fn an_external_name_service_publishes_its_name() {
        let external = service(serde_json::json!({
            "spec": { "type": "ExternalName", "externalName": "Edge.Example.com" }
        }));
        assert_eq!(
            service_addresses(&external),
            [StatusAddress::Hostname("edge.example.com".into())]
        );
    }

    #[test]
    fn hostnames_are_rfc_1123_names() {
        for bad in ["", "a..b", "-a.example", "a_b.example", "exa mple", &"a".repeat(64)] {
            assert!(bad.parse::<StatusAddress>().is_err(), "{bad:?}");
        }
        assert_eq!("LB.Example.".parse(), Ok(StatusAddress::Hostname("lb.example".into())));
        assert!(matches!("2001:db8::1".parse(), Ok(StatusAddress::Ip(_))));
    }
}
