//! What the fuzz targets share: inputs built with `arbitrary`, and the
//! reference YAML reader.
//!
//! The targets live in `fuzz_targets/`; this library holds table options
//! ([`options`]), small colliding rule sets and requests for the
//! differential target ([`small`]), free-form Ingress objects for the table
//! build target ([`objects`]), and serde-saphyr as `ingress-kube` calls it
//! for the manifest targets ([`yaml`]). The contract the `ingress-core`
//! targets check is `ingress-core/SEMANTICS.md`, sections 3 and 4.

pub mod objects;
pub mod options;
pub mod small;
pub mod yaml;
