//! T3 for the `tls_secret` target: no `Debug` or `Display` output shows key
//! material.
//!
//! Key material is, for every key block of a Secret's `tls.key` (in `data`
//! and in `stringData`, whichever the parser read): the decoded key (DER)
//! as rustls-pki-types and as `pem` read it, its base64 on one line, and,
//! for a plain text ([`crate::plain_pem`]), the base64 as written with its
//! whitespace removed. Output shows it when any [`WINDOW`]-byte run of it
//! appears in the output.
//!
//! Output may show what is no key material, however a key happens to be
//! spelt, and the fuzzer does learn output text and splice it into keys:
//!
//! - the Secret's namespace, name and type and the certificate's names,
//!   given by the caller, and dates (`2026-01-31T12:00:00Z`) are cut out
//!   of the output before the search;
//! - the crate's fixed text is excused: runs that also appear in the
//!   output for control Secrets, one for each way `from_secret` answers
//!   (each reason, and a parsed Secret), made from the fixtures under
//!   another name. The controls' own output is first checked, with nothing
//!   excused, to show none of their keys, so the excuse cannot hide a leak
//!   of a fixture key.

use std::collections::HashSet;
use std::sync::OnceLock;

use ingress_kube::tls::{CertificateError, TLS_SECRET_TYPE, TlsSecret};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use rustls_pki_types::pem::{PemObject, SectionKind};

use crate::pem_text::base64;
use crate::plain_pem::plain_blocks;
use crate::tls_fixtures::{CERTIFICATES, KEYS};

/// The length of the runs searched for.
pub const WINDOW: usize = 16;

/// The key material of some `tls.key` texts.
#[derive(Debug, Default)]
pub struct KeyMaterial {
    runs: Vec<Vec<u8>>,
}

impl KeyMaterial {
    /// The key material in `texts`.
    pub fn of<'a>(texts: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut runs = Vec::new();
        for text in texts {
            let mut ders = Vec::new();
            for (kind, der) in <(SectionKind, Vec<u8>)>::pem_slice_iter(text).map_while(Result::ok) {
                if matches!(
                    kind,
                    SectionKind::PrivateKey | SectionKind::EcPrivateKey | SectionKind::RsaPrivateKey
                ) {
                    ders.push(der);
                }
            }
            if let Ok(blocks) = pem::parse_many(text) {
                ders.extend(
                    blocks
                        .into_iter()
                        .filter(|block| block.tag().ends_with("PRIVATE KEY"))
                        .map(pem::Pem::into_contents),
                );
            }
            for block in plain_blocks(text).into_iter().flatten() {
                if block.label.ends_with(b"PRIVATE KEY") {
                    runs.push(
                        block
                            .body
                            .iter()
                            .copied()
                            .filter(|b| !b.is_ascii_whitespace())
                            .collect(),
                    );
                }
            }
            runs.extend(ders.iter().map(|der| base64(der).into_bytes()));
            runs.extend(ders);
        }
        Self { runs }
    }

    /// Panics, naming `what`, when `output` shows a [`WINDOW`]-byte run of
    /// this key material, once the `known` strings and dates are cut out
    /// and the crate's fixed text is excused.
    pub fn assert_not_in(&self, what: &str, output: &str, known: &[String]) {
        let fixed = fixed_text();
        self.assert_not_in_excusing(what, output, known, |window| fixed.contains(window));
    }

    fn assert_not_in_excusing(&self, what: &str, output: &str, known: &[String], excused: impl Fn(&[u8]) -> bool) {
        let mut shown = HashSet::new();
        for piece in uncovered(output.as_bytes(), known) {
            shown.extend(piece.windows(WINDOW).filter(|window| !excused(window)));
        }
        for run in &self.runs {
            if let Some(at) = run.windows(WINDOW).position(|window| shown.contains(window)) {
                panic!(
                    "{what} shows key material (bytes {at}..{} of a key run): {output}",
                    at + WINDOW
                );
            }
        }
    }
}

/// The runs of `output` that neither an occurrence of a `known` string nor
/// a date covers.
fn uncovered<'o>(output: &'o [u8], known: &[String]) -> Vec<&'o [u8]> {
    let mut covered = vec![false; output.len()];
    let mut cover = |at: usize, len: usize| {
        for flag in covered.iter_mut().skip(at).take(len) {
            *flag = true;
        }
    };
    for at in 0..output.len() {
        let rest = output.get(at..).unwrap_or_default();
        for known in known.iter().map(String::as_bytes).filter(|k| !k.is_empty()) {
            if rest.starts_with(known) {
                cover(at, known.len());
            }
        }
        if is_date(rest) {
            cover(at, DATE.len());
        }
    }
    let mut pieces = Vec::new();
    let mut start = None;
    for (at, &is_covered) in covered.iter().enumerate() {
        match (is_covered, start) {
            (false, None) => start = Some(at),
            (true, Some(from)) => {
                pieces.extend(output.get(from..at));
                start = None;
            }
            _ => {}
        }
    }
    pieces.extend(start.and_then(|from| output.get(from..)));
    pieces
}

/// The shape of an RFC 3339 UTC date, `d` a digit.
const DATE: &[u8] = b"dddd-dd-ddTdd:dd:ddZ";

fn is_date(text: &[u8]) -> bool {
    text.len() >= DATE.len()
        && text.iter().zip(DATE).all(|(&byte, &shape)| {
            if shape == b'd' {
                byte.is_ascii_digit()
            } else {
                byte == shape
            }
        })
}

/// The name the control Secrets go by.
const CONTROL: (&str, &str) = ("control-namespace", "control-name");

/// The windows of the crate's fixed text: of its output for the control
/// Secrets, their name cut out.
fn fixed_text() -> &'static HashSet<Vec<u8>> {
    static FIXED: OnceLock<HashSet<Vec<u8>>> = OnceLock::new();
    FIXED.get_or_init(|| {
        let identity = [
            CONTROL.0.to_owned(),
            CONTROL.1.to_owned(),
            format!("{}/{}", CONTROL.0, CONTROL.1),
            "Opaque".to_owned(),
            format!("{:?}", "Opaque"),
        ];
        let mut fixed = HashSet::new();
        for (secret, reason) in controls() {
            let keys = KeyMaterial::of(secret.data.iter().flatten().map(|(_, value)| value.0.as_slice()));
            let mut known = identity.to_vec();
            let outputs = match (TlsSecret::from_secret(&secret), reason) {
                (Ok(parsed), None) => {
                    known.extend(parsed.names().flat_map(|name| [name.to_owned(), format!("{name:?}")]));
                    vec![format!("{parsed:?}")]
                }
                (Err(error), Some(reason)) if reason(&error) => vec![error.to_string(), format!("{error:?}")],
                (answer, _) => panic!("a control Secret is answered otherwise than meant: {answer:?}"),
            };
            for output in outputs {
                keys.assert_not_in_excusing("a control's output", &output, &known, |_| false);
                for piece in uncovered(output.as_bytes(), &known) {
                    fixed.extend(piece.windows(WINDOW).map(<[u8]>::to_vec));
                }
            }
        }
        fixed
    })
}

type Reason = fn(&CertificateError) -> bool;

/// A Secret for each answer of `from_secret`, and the reason it should
/// give (`None`: parsed; the `Debug` of a parsed Secret lists its names,
/// so there is one with none, one and two).
fn controls() -> Vec<(Secret, Option<Reason>)> {
    let (ca, leaf) = (CERTIFICATES[0].1, CERTIFICATES[1].1);
    let (leaf_key, other_key) = (KEYS[1].1, KEYS[3].1);
    let junk_certificate = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let junk_key = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    let tls = Some(TLS_SECRET_TYPE);
    let chain = [leaf, ca].concat();
    vec![
        (control(None, None, None), Some(CertificateError::is_wrong_type)),
        (
            control(Some("Opaque"), Some(leaf), Some(leaf_key)),
            Some(CertificateError::is_wrong_type),
        ),
        (control(tls, None, Some(leaf_key)), Some(CertificateError::is_bad_pem)),
        (control(tls, Some(leaf), None), Some(CertificateError::is_bad_pem)),
        (
            control(tls, Some(b"not PEM"), Some(leaf_key)),
            Some(CertificateError::is_bad_pem),
        ),
        (
            control(tls, Some(leaf), Some(b"not PEM")),
            Some(CertificateError::is_bad_pem),
        ),
        (
            control(tls, Some(junk_certificate), Some(leaf_key)),
            Some(CertificateError::is_bad_pem),
        ),
        (
            control(tls, Some(leaf), Some(junk_key)),
            Some(CertificateError::is_bad_pem),
        ),
        (
            control(tls, Some(leaf), Some(other_key)),
            Some(CertificateError::is_key_mismatch),
        ),
        // Parsed, with two names, none (the CA) and one.
        (control(tls, Some(&chain), Some(leaf_key)), None),
        (control(tls, Some(ca), Some(KEYS[0].1)), None),
        (control(tls, Some(CERTIFICATES[3].1), Some(other_key)), None),
    ]
}

fn control(type_: Option<&str>, certificate: Option<&[u8]>, key: Option<&[u8]>) -> Secret {
    let mut secret = Secret::default();
    secret.metadata.namespace = Some(CONTROL.0.to_owned());
    secret.metadata.name = Some(CONTROL.1.to_owned());
    secret.type_ = type_.map(str::to_owned);
    let data = [("tls.crt", certificate), ("tls.key", key)]
        .into_iter()
        .filter_map(|(field, value)| Some((field.to_owned(), ByteString(value?.to_vec()))))
        .collect();
    secret.data = Some(data);
    secret
}
