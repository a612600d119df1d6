//! Free-form Ingress objects: every string field is arbitrary text, drawn
//! often enough from a pool of valid and nearly valid values that objects
//! pass validation and reach the compiler, and mutated or replaced often
//! enough to hit every validation branch.

use std::time::{Duration, SystemTime};

use arbitrary::{Arbitrary, Result, Unstructured};
use ingress_core::objects::{
    HttpIngressRuleValue, IngressRule, IngressServiceBackend, IngressSpec, IngressTls, ServiceBackendPort,
    TypedLocalObjectReference,
};
use ingress_core::{HttpIngressPath, Ingress, IngressBackend};

/// Most objects in one input.
pub const MAX_OBJECTS: usize = 8;
/// Most entries in any list of an object (rules, paths, TLS entries, hosts).
const MAX_ITEMS: usize = 4;

/// Text from `pool`, from `pool` with arbitrary text appended, or arbitrary.
fn text(u: &mut Unstructured<'_>, pool: &[&str]) -> Result<String> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => u.arbitrary()?,
        1 => format!("{}{}", u.choose(pool)?, u.arbitrary::<&str>()?),
        _ => (*u.choose(pool)?).to_owned(),
    })
}

fn optional_text(u: &mut Unstructured<'_>, pool: &[&str]) -> Result<Option<String>> {
    Ok(if u.ratio(1, 6)? { None } else { Some(text(u, pool)?) })
}

const NAMESPACES: &[&str] = &["default", "ns", "other", ""];
const NAMES: &[&str] = &["a", "b", "c", "web", "A", ""];
const CLASSES: &[&str] = &["nginx", "ingress-rs", ""];
const HOSTS: &[&str] = &[
    "a.com",
    "b.a.com",
    "*.a.com",
    "*.b.a.com",
    "*.com",
    "foo.bar.com",
    "xn--bcher-kva.example",
    "1.2.3",
    "1.2.3.4",
    "::1",
    "",
    "*",
    "*.",
    "a.com.",
    "a.com:80",
    "A.com",
    "a_b.com",
    "-a.com",
    "a..com",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
];
const PATHS: &[&str] = &[
    "/",
    "/a",
    "/a/",
    "/a/b",
    "/A",
    "/%61",
    "",
    "a",
    "/a//b",
    "/./a",
    "/a/..",
    "/%2e%2e/a",
    "/a%2Fb",
    "/a%5cb",
    "/a b",
    "/caf\u{e9}",
    "/%7euser",
    "/..;x",
    "/a%zz",
    "/50%",
    "/{id}",
    "/a?b",
    "/a#b",
    "/a%00",
];
const PATH_TYPES: &[&str] = &["Exact", "Prefix", "ImplementationSpecific", "prefix", ""];
const SERVICES: &[&str] = &["web", "s1", "a-b", "1abc", "Web", "a-", ""];
const PORT_NAMES: &[&str] = &[
    "http",
    "https",
    "grpc-web",
    "a--b",
    "HTTP",
    "-a",
    "1234",
    "sixteen-chars-xx",
    "",
];
const PORT_NUMBERS: &[i32] = &[80, 443, 1, 65535, 0, 65536, -1, i32::MAX, i32::MIN];
const KINDS: &[&str] = &["Bucket", "StorageBucket", ".", "..", "a/b", "a%b", ""];
const API_GROUPS: &[&str] = &["k8s.example.com", "example.com", "Example.com", ""];
const SECRETS: &[&str] = &["tls", "a.b", "tls-secret", "Bad_Name", ""];

/// An Ingress object as fuzz input.
#[derive(Debug)]
pub struct FreeIngress(pub Ingress);

impl<'a> Arbitrary<'a> for FreeIngress {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let namespace = text(u, NAMESPACES)?;
        let name = text(u, NAMES)?;
        let creation_timestamp = match u.int_in_range(0..=3u8)? {
            0 => None,
            1 => Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(u.arbitrary::<u32>()?))),
            _ => Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(u.int_in_range(0..=2u8)?))),
        };
        let rules = (0..u.int_in_range(0..=MAX_ITEMS)?)
            .map(|_| rule(u))
            .collect::<Result<Vec<_>>>()?;
        let tls = (0..u.int_in_range(0..=2usize)?)
            .map(|_| tls(u))
            .collect::<Result<Vec<_>>>()?;
        let spec = IngressSpec {
            ingress_class_name: optional_text(u, CLASSES)?,
            default_backend: if u.ratio(1, 3)? { Some(backend(u)?) } else { None },
            rules,
            tls,
        };
        Ok(Self(Ingress {
            namespace,
            name,
            creation_timestamp,
            spec,
        }))
    }
}

fn rule(u: &mut Unstructured<'_>) -> Result<IngressRule> {
    let host = optional_text(u, HOSTS)?;
    let http = if u.ratio(1, 8)? {
        None
    } else {
        let paths = (0..u.int_in_range(0..=MAX_ITEMS)?)
            .map(|_| path(u))
            .collect::<Result<Vec<_>>>()?;
        Some(HttpIngressRuleValue { paths })
    };
    Ok(IngressRule { host, http })
}

fn path(u: &mut Unstructured<'_>) -> Result<HttpIngressPath> {
    Ok(HttpIngressPath {
        path: optional_text(u, PATHS)?,
        path_type: optional_text(u, PATH_TYPES)?,
        backend: backend(u)?,
    })
}

fn backend(u: &mut Unstructured<'_>) -> Result<IngressBackend> {
    let (service, resource) = match u.int_in_range(0..=7u8)? {
        0 => (None, None),
        1 => (Some(service(u)?), Some(resource(u)?)),
        2 => (None, Some(resource(u)?)),
        _ => (Some(service(u)?), None),
    };
    Ok(IngressBackend { service, resource })
}

fn service(u: &mut Unstructured<'_>) -> Result<IngressServiceBackend> {
    let name = text(u, SERVICES)?;
    let number = |u: &mut Unstructured<'_>| -> Result<i32> {
        if u.ratio(1, 4)? {
            u.arbitrary()
        } else {
            Ok(*u.choose(PORT_NUMBERS)?)
        }
    };
    let port = match u.int_in_range(0..=7u8)? {
        0 => None,
        1 => Some(ServiceBackendPort {
            name: None,
            number: None,
        }),
        2 => Some(ServiceBackendPort {
            name: Some(text(u, PORT_NAMES)?),
            number: Some(number(u)?),
        }),
        3 | 4 => Some(ServiceBackendPort {
            name: Some(text(u, PORT_NAMES)?),
            number: None,
        }),
        _ => Some(ServiceBackendPort {
            name: None,
            number: Some(number(u)?),
        }),
    };
    Ok(IngressServiceBackend { name, port })
}

fn resource(u: &mut Unstructured<'_>) -> Result<TypedLocalObjectReference> {
    Ok(TypedLocalObjectReference {
        api_group: optional_text(u, API_GROUPS)?,
        kind: text(u, KINDS)?,
        name: text(u, NAMES)?,
    })
}

fn tls(u: &mut Unstructured<'_>) -> Result<IngressTls> {
    let hosts = (0..u.int_in_range(0..=MAX_ITEMS)?)
        .map(|_| text(u, HOSTS))
        .collect::<Result<Vec<_>>>()?;
    Ok(IngressTls {
        hosts,
        secret_name: optional_text(u, SECRETS)?,
    })
}

/// The objects of one input, with their table options.
#[derive(Debug, Arbitrary)]
pub struct FreeObjects {
    /// The table's options.
    pub options: crate::options::FuzzOptions,
    /// The objects, at most [`MAX_OBJECTS`] used.
    pub objects: Vec<FreeIngress>,
}

impl FreeObjects {
    /// The objects, bounded, each `namespace/name` once (the last version
    /// of each, as [`IngressSet::apply`](ingress_core::IngressSet::apply)
    /// would keep it when every version is valid).
    pub fn unique(&self) -> Vec<Ingress> {
        let mut unique: Vec<Ingress> = Vec::new();
        for FreeIngress(ingress) in self.objects.iter().take(MAX_OBJECTS) {
            unique.retain(|other| other.key() != ingress.key());
            unique.push(ingress.clone());
        }
        unique
    }
}
