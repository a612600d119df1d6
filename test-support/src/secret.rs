//! [`SecretYaml`]: a v1 Secret as YAML text, its data base64-encoded as
//! the API stores it, or as `stringData` text.
//!
//! ```
//! use ingress_test_support::SecretYaml;
//!
//! let yaml = SecretYaml::tls("web-tls", "CERT", "KEY").namespace("shop").to_yaml();
//! assert_eq!(
//!     yaml,
//!     "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-tls\n  namespace: shop\ntype: \"kubernetes.io/tls\"\ndata:\n  tls.crt: \"Q0VSVA==\"\n  tls.key: \"S0VZ\"\n"
//! );
//! ```

use std::fmt::Write as _;

use crate::yaml::{Metadata, quoted};

/// A Secret. Only what is set is written.
#[derive(Clone)]
#[must_use]
pub struct SecretYaml {
    metadata: Metadata,
    type_: Option<String>,
    data: Vec<(String, Vec<u8>)>,
    string_data: Vec<(String, String)>,
}

/// Names the Secret only: test key material stays out of test output too.
impl std::fmt::Debug for SecretYaml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretYaml")
            .field("name", &self.metadata.name)
            .finish_non_exhaustive()
    }
}

impl SecretYaml {
    /// Secret `name` with no type and no data.
    pub fn new(name: &str) -> Self {
        Self {
            metadata: Metadata::named(name),
            type_: None,
            data: Vec::new(),
            string_data: Vec::new(),
        }
    }

    /// A `kubernetes.io/tls` Secret with `tls.crt` and `tls.key` in `data`.
    pub fn tls(name: &str, cert_pem: &str, key_pem: &str) -> Self {
        Self::new(name)
            .type_("kubernetes.io/tls")
            .data("tls.crt", cert_pem.as_bytes())
            .data("tls.key", key_pem.as_bytes())
    }

    /// `metadata.namespace`.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.metadata.namespace = Some(namespace.to_owned());
        self
    }

    /// `type`.
    pub fn type_(mut self, type_: &str) -> Self {
        self.type_ = Some(type_.to_owned());
        self
    }

    /// One more `data` entry, written base64-encoded.
    pub fn data(mut self, key: &str, value: &[u8]) -> Self {
        self.data.push((key.to_owned(), value.to_vec()));
        self
    }

    /// One more `stringData` entry, written as text.
    pub fn string_data(mut self, key: &str, value: &str) -> Self {
        self.string_data.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The YAML document, ending in a line break.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        self.metadata.write_head(&mut out, "v1", "Secret");
        if let Some(type_) = &self.type_ {
            let _ = writeln!(out, "type: {}", quoted(type_));
        }
        if !self.data.is_empty() {
            out.push_str("data:\n");
            for (key, value) in &self.data {
                let _ = writeln!(out, "  {key}: {}", quoted(&base64(value)));
            }
        }
        if !self.string_data.is_empty() {
            out.push_str("stringData:\n");
            for (key, value) in &self.string_data {
                let _ = writeln!(out, "  {key}: {}", quoted(value));
            }
        }
        out
    }
}

/// Standard base64 with padding, as the API writes `data` values.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let symbol = |index: u32| char::from(ALPHABET.get((index & 63) as usize).copied().unwrap_or(b'='));
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let [a, b, c] = [0, 1, 2].map(|i| chunk.get(i).copied().map_or(0, u32::from));
        let group = (a << 16) | (b << 8) | c;
        out.push(symbol(group >> 18));
        out.push(symbol(group >> 12));
        out.push(if chunk.len() > 1 { symbol(group >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { symbol(group) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_pads_as_the_api_does() {
        let cases: [(&[u8], &str); 5] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"\xff\xfe\xfd\xfc", "//79/A=="),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input), expected);
        }
    }

    #[test]
    fn string_data_is_written_as_quoted_text() {
        let yaml = super::SecretYaml::new("s").string_data("tls.crt", "line\n").to_yaml();
        assert!(yaml.ends_with("stringData:\n  tls.crt: \"line\\n\"\n"), "{yaml}");
    }
}
