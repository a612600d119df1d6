//! What the fuzz targets share: inputs built with `arbitrary`, and the
//! reference YAML reader.
//!
//! The targets live in `fuzz_targets/`; this library holds table options
//! ([`options`]), small colliding rule sets and requests for the
//! differential target ([`small`]), free-form Ingress objects for the table
//! build target ([`objects`]), and serde-saphyr as `ingress-kube` calls it
//! for the manifest targets ([`yaml`]). The contract the `ingress-core`
//! targets check is `ingress-core/SEMANTICS.md`, sections 3 and 4.
//!
//! The gateway's HTTP/1 codec targets (`response_head`, `chunked`) need
//! nothing from here: their inputs are raw bytes with a byte or two of
//! choices in front, so that the dictionaries' pieces land as they are.
//! They check `ingress_gateway::upstream::h1` against httparse's reading
//! of the same bytes, against hyper's client reading of a response head
//! ([`hyper_client`]) and against their own naive readings.
//!
//! The TLS targets: `tls_secret` parses Secrets built from throwaway
//! fixtures ([`tls_fixtures`], `fuzz/fixtures/tls/`) as structured PEM
//! texts ([`pem_text`], [`secret_input`]), compares the chain with the
//! `pem` crate's reading where the two readers frame blocks alike
//! ([`plain_pem`]) and looks for key material in its output ([`key_leak`]);
//! `tls_claims` holds the TLS claims and the certificate table
//! ([`tls_claims`] makes the Ingresses) against a naive reading of T1-T3
//! ([`tls_reference`]).

pub mod hyper_client;
pub mod key_leak;
pub mod objects;
pub mod options;
pub mod pem_text;
pub mod plain_pem;
pub mod secret_input;
pub mod small;
pub mod tls_claims;
pub mod tls_fixtures;
pub mod tls_reference;
pub mod yaml;
