//! The routing semantics this crate implements, rule by rule.
//!
//! This page is `SEMANTICS.md` from the package, rendered: the contract
//! every rule id in the code, docs and test names refers to (`M4`, `P3`,
//! ...). It holds no code.
#![doc = include_str!("../SEMANTICS.md")]
