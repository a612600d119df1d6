//! The throwaway certificates and keys of `fuzz/fixtures/tls/` (see the
//! README there for how they were made), built into the binary and cut
//! into pieces the `tls_secret` input picks from.
//!
//! Pair `i` is [`CERTIFICATES`]`[i]` with [`KEYS`]`[i]`: the certificate of
//! that key. A certificate with another pair's key is a mismatch.

use std::sync::OnceLock;

/// A fixture file: its name and bytes.
pub type File = (&'static str, &'static [u8]);

/// The certificates, one per pair.
pub const CERTIFICATES: [File; 5] = [
    ("ca.crt", include_bytes!("../fixtures/tls/ca.crt")),
    ("leaf-ec.crt", include_bytes!("../fixtures/tls/leaf-ec.crt")),
    ("wildcard.crt", include_bytes!("../fixtures/tls/wildcard.crt")),
    ("ec-pkcs8.crt", include_bytes!("../fixtures/tls/ec-pkcs8.crt")),
    ("rsa-pkcs1.crt", include_bytes!("../fixtures/tls/rsa-pkcs1.crt")),
];

/// The keys, one per pair: PKCS#8, SEC1, PKCS#8, PKCS#8, PKCS#1.
pub const KEYS: [File; 5] = [
    ("ca.key", include_bytes!("../fixtures/tls/ca.key")),
    ("leaf-ec-sec1.key", include_bytes!("../fixtures/tls/leaf-ec-sec1.key")),
    ("wildcard.key", include_bytes!("../fixtures/tls/wildcard.key")),
    ("ec-pkcs8.key", include_bytes!("../fixtures/tls/ec-pkcs8.key")),
    ("rsa-pkcs1.key", include_bytes!("../fixtures/tls/rsa-pkcs1.key")),
];

/// The chain of pair 1: its leaf, then the CA (pair 0).
pub const CHAIN: File = ("chain.crt", include_bytes!("../fixtures/tls/chain.crt"));

/// Every fixture file, for verbatim use.
pub fn files() -> impl Iterator<Item = File> {
    CERTIFICATES.into_iter().chain(KEYS).chain([CHAIN])
}

/// One PEM block of a fixture: its label and its DER.
#[derive(Debug, Clone)]
pub struct Piece {
    /// `CERTIFICATE`, `PRIVATE KEY`, `EC PRIVATE KEY` or `RSA PRIVATE KEY`.
    pub label: &'static str,
    /// The decoded block.
    pub der: Vec<u8>,
}

/// The blocks of the fixtures: the certificates of the pairs in order,
/// then their keys in order (so piece `i` and piece `i + 5` are a pair).
pub fn pieces() -> &'static [Piece] {
    static PIECES: OnceLock<Vec<Piece>> = OnceLock::new();
    PIECES.get_or_init(|| {
        CERTIFICATES
            .iter()
            .chain(&KEYS)
            .map(|&(name, bytes)| piece(name, bytes))
            .collect()
    })
}

/// The single block of a fixture file. The files are this crate's own, so
/// a file that is not one PEM block of a known label is a broken checkout.
fn piece(name: &str, bytes: &[u8]) -> Piece {
    let block = pem::parse(bytes).unwrap_or_else(|error| panic!("fixture {name} is not PEM: {error}"));
    let label = ["CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"]
        .into_iter()
        .find(|label| *label == block.tag())
        .unwrap_or_else(|| panic!("fixture {name} has the unexpected label {}", block.tag()));
    Piece {
        label,
        der: block.into_contents(),
    }
}

/// Number of certificate/key pairs.
pub const PAIRS: usize = CERTIFICATES.len();
