//! Every combination of the options that change canonicalisation and
//! matching: profile (P8), encoded slashes (P6), path length (P7),
//! `ImplementationSpecific` (M8) and fallthrough (M2).

use arbitrary::Arbitrary;
use ingress_core::TableOptions;
use ingress_core::canonical::{DEFAULT_MAX_PATH_LENGTH, EncodedSlashes, PathOptions, PathProfile};
use ingress_core::table::ImplementationSpecific;

/// A small limit, so that P7 refusals happen on short inputs too.
pub const SHORT_MAX_PATH_LENGTH: usize = 24;

/// Table options as fuzz input.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct FuzzOptions {
    /// M2 fallthrough between host levels.
    pub fallthrough: bool,
    /// M8: `ImplementationSpecific` matches like `Exact` instead of `Prefix`.
    pub implementation_specific_exact: bool,
    /// P8: the raw profile instead of the safe one.
    pub raw: bool,
    /// P6: keep `%2F`/`%5C` instead of refusing them.
    pub keep_encoded_slashes: bool,
    /// P7: a short path limit instead of the default.
    pub short_paths: bool,
}

impl FuzzOptions {
    /// The path options these stand for.
    pub fn path(&self) -> PathOptions {
        path_options(self.raw, self.keep_encoded_slashes, self.short_paths)
    }

    /// The table options these stand for.
    pub fn table(&self) -> TableOptions {
        TableOptions::default()
            .with_fallthrough(self.fallthrough)
            .with_implementation_specific(if self.implementation_specific_exact {
                ImplementationSpecific::Exact
            } else {
                ImplementationSpecific::Prefix
            })
            .with_path(self.path())
    }
}

/// Path options from their three switches.
pub fn path_options(raw: bool, keep_encoded_slashes: bool, short: bool) -> PathOptions {
    PathOptions::default()
        .with_profile(if raw { PathProfile::Raw } else { PathProfile::Safe })
        .with_encoded_slashes(if keep_encoded_slashes {
            EncodedSlashes::Keep
        } else {
            EncodedSlashes::Refuse
        })
        .with_max_length(if short {
            SHORT_MAX_PATH_LENGTH
        } else {
            DEFAULT_MAX_PATH_LENGTH
        })
}
