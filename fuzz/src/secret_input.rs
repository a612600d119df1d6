//! A Secret as fuzz input for the `tls_secret` target: a namespace, a name
//! and a type drawn mostly from the common values, and `tls.crt` and
//! `tls.key` as PEM texts built from the fixtures ([`crate::pem_text`]),
//! placed in `data`, in `stringData`, in both (with different texts) or
//! left out.
//!
//! Each choice's first value (what an exhausted input picks) is the
//! common case. Most inputs hold a certificate (or the chain leaf, CA) and the key of
//! the same pair, so that they get past every step to the key check; a few
//! hold a key of another pair, a chain in another order, or none.

use std::collections::BTreeMap;
use std::fmt;

use arbitrary::{Arbitrary, Result, Unstructured};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;

use crate::pem_text::{pem_text, rarely};
use crate::tls_fixtures::PAIRS;

/// The type a TLS Secret must have.
const TLS_TYPE: &str = "kubernetes.io/tls";

/// A Secret to parse.
pub struct SecretInput {
    /// The Secret.
    pub secret: Secret,
}

impl<'a> Arbitrary<'a> for SecretInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut secret = Secret::default();
        secret.metadata.namespace = match u.int_in_range(0..=7u8)? {
            1 => None,
            2 => Some(String::new()),
            3 => Some(u.arbitrary()?),
            4 => Some("shop".to_owned()),
            _ => Some("default".to_owned()),
        };
        secret.metadata.name = match u.int_in_range(0..=7u8)? {
            1 => None,
            2 => Some(u.arbitrary()?),
            _ => Some("shop-tls".to_owned()),
        };
        secret.type_ = match u.int_in_range(0..=31u8)? {
            1 => None,
            2 => Some("Opaque".to_owned()),
            3 => Some("kubernetes.io/TLS".to_owned()),
            4 => Some(u.arbitrary()?),
            _ => Some(TLS_TYPE.to_owned()),
        };

        let pair = u.choose_index(PAIRS)?;
        let key_pair = if rarely(u, 8)? { u.choose_index(PAIRS)? } else { pair };
        // Pieces: the certificates of the pairs, then their keys.
        let certificates = match u.int_in_range(0..=7u8)? {
            // Pair 1 is the leaf the CA (pair 0) signed.
            1 | 2 => vec![1, 0],
            3 => vec![0, 1],
            4 => vec![pair, pair],
            _ => vec![pair],
        };
        let certificate = field(u, &certificates)?;
        let key = field(u, &[PAIRS + key_pair])?;
        place(&mut secret, "tls.crt", certificate);
        place(&mut secret, "tls.key", key);
        if rarely(u, 8)? {
            // Other data keys a TLS Secret may carry.
            let data = secret.data.get_or_insert_with(BTreeMap::new);
            data.insert("ca.crt".to_owned(), ByteString(pem_text(u, &[0])?));
        }
        Ok(Self { secret })
    }
}

/// Where a field's text goes.
enum Field {
    Missing,
    Data(Vec<u8>),
    StringData(String),
    /// Different texts in both: `stringData` wins, as the API server merges
    /// them on write.
    Both {
        data: Vec<u8>,
        string_data: String,
    },
}

fn field(u: &mut Unstructured<'_>, preferred: &[usize]) -> Result<Field> {
    Ok(match u.int_in_range(0..=15u8)? {
        1 => Field::Missing,
        2 | 3 => Field::StringData(lossy(pem_text(u, preferred)?)),
        4 => Field::Both {
            data: pem_text(u, &[])?,
            string_data: lossy(pem_text(u, preferred)?),
        },
        5 => Field::Both {
            data: pem_text(u, preferred)?,
            string_data: lossy(pem_text(u, &[])?),
        },
        _ => Field::Data(pem_text(u, preferred)?),
    })
}

/// `stringData` holds strings: the text with any bytes that are not UTF-8
/// replaced (the Secret then holds those bytes, and both readers read the
/// same).
fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

fn place(secret: &mut Secret, key: &str, field: Field) {
    let (data, string_data) = match field {
        Field::Missing => (None, None),
        Field::Data(data) => (Some(data), None),
        Field::StringData(text) => (None, Some(text)),
        Field::Both { data, string_data } => (Some(data), Some(string_data)),
    };
    if let Some(data) = data {
        secret
            .data
            .get_or_insert_with(BTreeMap::new)
            .insert(key.to_owned(), ByteString(data));
    }
    if let Some(text) = string_data {
        secret
            .string_data
            .get_or_insert_with(BTreeMap::new)
            .insert(key.to_owned(), text);
    }
}

/// The bytes of `key` the Secret holds for a reader: `stringData` over
/// `data` (the documented merge, written again here for the target).
pub fn field_bytes<'s>(secret: &'s Secret, key: &str) -> Option<&'s [u8]> {
    let text = secret.string_data.as_ref().and_then(|data| data.get(key));
    let bytes = secret.data.as_ref().and_then(|data| data.get(key));
    text.map(String::as_bytes).or(bytes.map(|b| b.0.as_slice()))
}

/// Shows the fields as text (`cargo fuzz fmt`), bytes escaped.
impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = &self.secret;
        let data: BTreeMap<&str, String> = secret
            .data
            .iter()
            .flatten()
            .map(|(key, value)| (key.as_str(), value.0.escape_ascii().to_string()))
            .collect();
        f.debug_struct("SecretInput")
            .field("namespace", &secret.metadata.namespace)
            .field("name", &secret.metadata.name)
            .field("type", &secret.type_)
            .field("data", &data)
            .field("string_data", &secret.string_data)
            .finish()
    }
}
