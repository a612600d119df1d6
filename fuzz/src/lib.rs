//! Inputs for the fuzz targets of `ingress-core`, built with `arbitrary`.
//!
//! The targets live in `fuzz_targets/`; this library holds what they share:
//! table options ([`options`]), small colliding rule sets and requests for
//! the differential target ([`small`]), and free-form Ingress objects for
//! the table build target ([`objects`]). The contract the targets check is
//! `shared/spec/ingress-semantics.md`, sections 3 and 4.

pub mod objects;
pub mod options;
pub mod small;
