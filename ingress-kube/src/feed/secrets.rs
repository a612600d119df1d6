//! The Secrets a source lists, kept away from every `Debug` output.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;

use super::snapshot::Listed;
use crate::convert::namespace_of;

/// Listed Secrets. Its `Debug` output names them and nothing else: their
/// data never reaches a log (T3).
#[derive(Clone, PartialEq, Default)]
pub(crate) struct SecretList(pub(crate) Vec<Listed<Secret>>);

impl SecretList {
    /// The Secrets by namespace and name, for lookups while building.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn index(&self) -> HashMap<(&str, &str), &Arc<Secret>> {
        self.0
            .iter()
            .map(|(secret, _)| {
                let name = secret.metadata.name.as_deref().unwrap_or_default();
                ((namespace_of(&secret.metadata), name), secret)
            })
            .collect()
    }
}

impl fmt::Debug for SecretList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(secret, _)| {
                format!(
                    "{}/{}",
                    namespace_of(&secret.metadata),
                    secret.metadata.name.as_deref().unwrap_or_default()
                )
            }))
            .finish()
    }
}
