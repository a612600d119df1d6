//! Ingresses with `spec.tls` entries, for the `tls_claims` target: hosts
//! from a pool that collides (exact names, wildcards one and two labels
//! above them, names that V7 refuses), Secret names valid and not, a few
//! namespaces (one a prefix of another, so that `namespace/name` order
//! differs from namespace-first order) and creation times (so that M6 often
//! falls back to `namespace/name`). Objects are applied in order, some of
//! them versions of the same object; now and then one is a free-form
//! object of [`crate::objects`], or breaks validation on purpose, so that
//! V8's memory (an invalid version leaves the previous one serving) takes
//! part.
//!
//! The scenario also says which certificates fail to load, and which SNI
//! names to resolve besides the ones the target derives from the claims.

use std::time::{Duration, SystemTime};

use arbitrary::{Arbitrary, Result, Unstructured};
use ingress_core::objects::IngressTls;
use ingress_core::{Ingress, IngressBackend};

use crate::objects::FreeIngress;
use crate::pem_text::rarely;

/// Most objects applied in one input.
pub const MAX_INGRESSES: usize = 6;
/// Most `spec.tls` entries per object, and hosts per entry.
const MAX_TLS: usize = 3;
/// Most SNI names of the input's own.
const MAX_NAMES: usize = 6;

/// TLS hosts: valid exact names and wildcards that cover each other's
/// names one and two labels deep, then names that V7 refuses.
pub const TLS_HOSTS: &[&str] = &[
    "a.com",
    "b.a.com",
    "c.a.com",
    "x.b.a.com",
    "*.a.com",
    "*.b.a.com",
    "*.com",
    "com",
    "1.2.3.4",
    "xn--bcher-kva.example",
    "A.com",
    "a.com.",
    "*",
    "*.",
    "",
    "a..com",
    "*.*.a.com",
    "a.*.com",
    "a.com:443",
    "-a.com",
];
/// The valid hosts, which come first in [`TLS_HOSTS`].
pub const VALID_TLS_HOSTS: &[&str] = TLS_HOSTS.split_at(10).0;

/// `secretName`s: none, empty (no Secret), valid, invalid.
const SECRETS: &[Option<&str>] = &[
    Some("tls"),
    Some("other"),
    Some("a.b"),
    None,
    Some(""),
    Some("Bad_Name"),
    Some("-x"),
];
/// The common `secretName`s, first in [`SECRETS`].
const COMMON_SECRETS: &[Option<&str>] = SECRETS.split_at(4).0;
/// The Secret names a loader may be told to fail on.
pub const LOADABLE_SECRETS: &[&str] = &["tls", "other", "a.b"];

/// Namespaces: `a-b/...` sorts before `a/...`.
const NAMESPACES: &[&str] = &["default", "a", "a-b", "ns"];
const NAMES: &[&str] = &["a", "b", "c", "web"];

/// SNI names a client may send that no claim spells.
pub const OTHER_NAMES: &[&str] = &[
    "unknown.example",
    "",
    ".",
    "a.com:443",
    "1.2.3.4",
    "[::1]",
    "*.a.com",
    "A.COM.",
    "a.com..",
    "x.y.a.com",
    "com",
];

/// The input of the `tls_claims` target.
#[derive(Debug)]
pub struct ClaimsScenario {
    /// Objects, applied in order.
    pub ingresses: Vec<Ingress>,
    /// Secrets (by name, in any namespace) whose certificate fails to load.
    pub failing_secrets: Vec<&'static str>,
    /// Claimed hosts (as written, `*.parent` for a wildcard) whose
    /// certificate fails to load, whichever the Secret.
    pub failing_hosts: Vec<&'static str>,
    /// SNI names to resolve besides those derived from the claims.
    pub names: Vec<Option<String>>,
}

impl<'a> Arbitrary<'a> for ClaimsScenario {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let ingresses = (0..u.int_in_range(1..=MAX_INGRESSES)?)
            .map(|_| ingress(u))
            .collect::<Result<_>>()?;
        let mut failing_secrets = Vec::new();
        for &secret in LOADABLE_SECRETS {
            if rarely(u, 4)? {
                failing_secrets.push(secret);
            }
        }
        let mut failing_hosts = Vec::new();
        if rarely(u, 4)? {
            failing_hosts.push(*u.choose(VALID_TLS_HOSTS)?);
        }
        let names = (0..u.int_in_range(0..=MAX_NAMES)?)
            .map(|_| {
                Ok(match u.int_in_range(0..=7u8)? {
                    0 => None,
                    1 => Some(u.arbitrary()?),
                    2 | 3 => Some((*u.choose(TLS_HOSTS)?).to_owned()),
                    _ => Some((*u.choose(OTHER_NAMES)?).to_owned()),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            ingresses,
            failing_secrets,
            failing_hosts,
            names,
        })
    }
}

fn ingress(u: &mut Unstructured<'_>) -> Result<Ingress> {
    if rarely(u, 8)? {
        return Ok(FreeIngress::arbitrary(u)?.0);
    }
    let namespace = if rarely(u, 32)? { "a/b" } else { *u.choose(NAMESPACES)? };
    let name = if rarely(u, 32)? { "b/c" } else { *u.choose(NAMES)? };
    let mut ingress = Ingress::new(namespace, name);
    ingress.creation_timestamp = match u.int_in_range(0..=3u8)? {
        0 => None,
        t => Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(t))),
    };
    // A valid default backend, or (rarely) one V6 refuses, which rejects
    // the whole object (V8).
    let service = if rarely(u, 16)? { "Bad_Service" } else { "web" };
    ingress.spec.default_backend = Some(IngressBackend::service(service, 80));
    for _ in 0..u.int_in_range(1..=MAX_TLS)? {
        // An entry without hosts claims nothing (T1).
        let count = if rarely(u, 8)? { 0 } else { u.int_in_range(1..=MAX_TLS)? };
        let hosts = (0..count)
            .map(|_| {
                let pool = if rarely(u, 6)? { TLS_HOSTS } else { VALID_TLS_HOSTS };
                Ok((*u.choose(pool)?).to_owned())
            })
            .collect::<Result<_>>()?;
        let pool = if rarely(u, 6)? { SECRETS } else { COMMON_SECRETS };
        let secret_name = *u.choose(pool)?;
        ingress.spec.tls.push(IngressTls {
            hosts,
            secret_name: secret_name.map(str::to_owned),
        });
    }
    Ok(ingress)
}
