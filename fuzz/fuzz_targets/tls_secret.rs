//! `TlsSecret::from_secret` on Secrets whose `tls.crt` and `tls.key` are
//! PEM texts built from throwaway fixtures, then changed
//! (`src/secret_input.rs`, `src/pem_text.rs`), and whose namespace, name
//! and type vary.
//!
//! - It never panics. An error names the Secret (its namespace, `default`
//!   when unset or empty, and name) and gives exactly one reason: a wrong
//!   type exactly when the type is not `kubernetes.io/tls`, else bad PEM
//!   or a key that does not match; never a reason of a later step (missing,
//!   expired, not yet valid, not covering), which `from_secret` does not
//!   check.
//! - Differential: the chain it accepts is the `CERTIFICATE` blocks the
//!   `pem` crate reads from the same bytes (`stringData` over `data`), in
//!   order, byte for byte, on every plain text (`src/plain_pem.rs`: the
//!   texts on which the two readers frame blocks alike). The allowances,
//!   each a way the readers legitimately differ:
//!   - a text that is not plain is not compared: blocks that start
//!     mid-line, nested or unterminated BEGIN lines, frames with trailing
//!     text or odd labels, blank lines or other bytes in a body (`pem`
//!     reads RFC 1421 headers there, rustls-pki-types reads base64 on)
//!     frame differently, and the two readers are each right by their own
//!     rules;
//!   - text outside blocks (garbage before, between and after, in any
//!     bytes) and blocks of other labels are allowed and skipped by both;
//!     CRLF, lone CR and whitespace inside a body are read alike;
//!   - `pem` may refuse a `CERTIFICATE` body that is not canonical base64
//!     (missing padding, non-zero trailing bits), which rustls-pki-types
//!     takes; then that block is not compared, but it still counts;
//!   - `pem::parse_many` fails the whole text when any block fails; each
//!     block is also read alone, and the whole-text reading, when it
//!     succeeds, must be the blocks read alone.
//!
//!   An accepted chain always has a leaf, so on a plain text `pem` must
//!   find at least one `CERTIFICATE` block.
//! - Key material never shows: neither the parsed Secret's `Debug` nor the
//!   error's `Display` or `Debug` holds 16 bytes in a row of a key block's
//!   base64 or of its DER (T3, `src/key_leak.rs`).
#![no_main]

use std::time::SystemTime;

use ingress_core::tls::SecretRef;
use ingress_core_fuzz::key_leak::KeyMaterial;
use ingress_core_fuzz::plain_pem::{is_canonical_base64, plain_blocks};
use ingress_core_fuzz::secret_input::{SecretInput, field_bytes};
use ingress_kube::tls::{CertificateError, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, TLS_SECRET_TYPE, TlsSecret};
use k8s_openapi::api::core::v1::Secret;
use libfuzzer_sys::fuzz_target;
use rustls_pki_types::CertificateDer;

fuzz_target!(|input: SecretInput| {
    let secret = &input.secret;
    let namespace = match secret.metadata.namespace.as_deref() {
        None | Some("") => "default",
        Some(namespace) => namespace,
    };
    let name = secret.metadata.name.as_deref().unwrap_or_default();
    let expected_ref = SecretRef::new(namespace, name);
    let mut known = vec![namespace.to_owned(), name.to_owned(), expected_ref.to_string()];
    if let Some(type_) = &secret.type_ {
        known.extend([type_.clone(), format!("{type_:?}")]);
    }
    let keys = KeyMaterial::of(key_texts(secret));

    match TlsSecret::from_secret(secret) {
        Ok(parsed) => {
            assert_eq!(
                secret.type_.as_deref(),
                Some(TLS_SECRET_TYPE),
                "accepted a Secret of another type"
            );
            assert_eq!(parsed.secret(), &expected_ref);
            let Some(certificates) = field_bytes(secret, TLS_CERT_KEY) else {
                panic!("accepted a Secret without {TLS_CERT_KEY}");
            };
            assert!(
                field_bytes(secret, TLS_PRIVATE_KEY_KEY).is_some(),
                "accepted a Secret without {TLS_PRIVATE_KEY_KEY}"
            );
            let chain = &parsed.certified_key().cert;
            assert!(!chain.is_empty(), "accepted an empty chain");
            check_chain(certificates, chain);

            let now = SystemTime::now();
            for name in parsed.names() {
                assert!(parsed.covers(name), "does not cover its own name {name}");
                known.extend([name.to_owned(), format!("{name:?}")]);
                let _ = parsed.check(name, now);
            }
            keys.assert_not_in("TlsSecret's Debug", &format!("{parsed:?}"), &known);
        }
        Err(error) => {
            check_error(secret, &error, &expected_ref);
            keys.assert_not_in("the error's Display", &error.to_string(), &known);
            keys.assert_not_in("the error's Debug", &format!("{error:?}"), &known);
        }
    }
});

/// Both texts of `tls.key`, whichever the parser read.
fn key_texts(secret: &Secret) -> Vec<&[u8]> {
    let data = secret
        .data
        .iter()
        .flatten()
        .filter(|(key, _)| *key == TLS_PRIVATE_KEY_KEY);
    let text = secret
        .string_data
        .iter()
        .flatten()
        .filter(|(key, _)| *key == TLS_PRIVATE_KEY_KEY);
    data.map(|(_, value)| value.0.as_slice())
        .chain(text.map(|(_, value)| value.as_bytes()))
        .collect()
}

/// One reason, the right one for what `from_secret` checks.
fn check_error(secret: &Secret, error: &CertificateError, expected_ref: &SecretRef) {
    let reasons = [
        error.is_missing(),
        error.is_wrong_type(),
        error.is_bad_pem(),
        error.is_key_mismatch(),
        error.is_expired(),
        error.is_not_yet_valid(),
        error.is_not_covering(),
    ];
    assert_eq!(
        reasons.iter().filter(|&&r| r).count(),
        1,
        "not exactly one reason: {error:?}"
    );
    assert!(
        error.is_wrong_type() || error.is_bad_pem() || error.is_key_mismatch(),
        "from_secret gave a reason of a later step: {error:?}"
    );
    assert_eq!(
        error.is_wrong_type(),
        secret.type_.as_deref() != Some(TLS_SECRET_TYPE),
        "wrong type, or not, against the type {:?}: {error:?}",
        secret.type_
    );
    if field_bytes(secret, TLS_CERT_KEY).is_none() || field_bytes(secret, TLS_PRIVATE_KEY_KEY).is_none() {
        assert!(
            error.is_wrong_type() || error.is_bad_pem(),
            "a missing field is bad PEM: {error:?}"
        );
    }
    assert_eq!(error.secret(), expected_ref);
    assert_eq!(error.host(), None);
}

/// The accepted chain against the `pem` crate's reading of the same text,
/// when the text is plain.
fn check_chain(text: &[u8], chain: &[CertificateDer<'_>]) {
    let Some(blocks) = plain_blocks(text) else {
        return;
    };
    let alone: Vec<_> = blocks.iter().map(|block| pem::parse(block.text)).collect();
    let certificates: Vec<_> = blocks
        .iter()
        .zip(&alone)
        .filter(|(block, _)| block.label == b"CERTIFICATE")
        .collect();
    assert_eq!(
        chain.len(),
        certificates.len(),
        "the crate read {} certificates, the text has {} CERTIFICATE blocks",
        chain.len(),
        certificates.len()
    );
    for (at, (der, (block, read))) in chain.iter().zip(&certificates).enumerate() {
        match read {
            Ok(read) => {
                assert_eq!(read.tag(), "CERTIFICATE");
                assert!(
                    read.contents() == der.as_ref(),
                    "certificate {at}: the crate read other bytes than pem in {}",
                    block.text.escape_ascii()
                );
            }
            Err(error) => assert!(
                !is_canonical_base64(block.body),
                "certificate {at}: pem refused a canonical block ({error}): {}",
                block.text.escape_ascii()
            ),
        }
    }
    match pem::parse_many(text) {
        Ok(all) => {
            assert_eq!(
                all.len(),
                blocks.len(),
                "pem and the plain framing count different blocks"
            );
            for (whole, (block, read)) in all.iter().zip(blocks.iter().zip(&alone)) {
                assert_eq!(whole.tag().as_bytes(), block.label);
                assert_eq!(Some(whole), read.as_ref().ok(), "a block reads differently alone");
            }
            assert!(
                all.iter().any(|block| block.tag() == "CERTIFICATE"),
                "pem finds no CERTIFICATE block where the crate accepted a chain"
            );
        }
        Err(error) => assert!(
            alone.iter().any(Result::is_err),
            "pem refused the text ({error}) but no block alone"
        ),
    }
}
