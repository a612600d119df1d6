//! How objects are shown: whole, or as `PartialObjectMetadata` when the
//! client asks for metadata only (`Accept: application/json;as=
//! PartialObjectMetadataList;g=meta.k8s.io;v=v1`, as kube's
//! `Api<PartialObjectMeta<K>>` does).

use http::HeaderMap;
use serde_json::{Value, json};

/// Whole objects or their metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// The stored object.
    Whole,
    /// `PartialObjectMetadata`: `apiVersion`, `kind` and `metadata`.
    Metadata,
}

impl View {
    /// The view an `Accept` header asks for.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let partial = headers
            .get_all(http::header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("as=PartialObjectMetadata"));
        if partial { Self::Metadata } else { Self::Whole }
    }

    /// `object` in this view.
    pub(crate) fn show(self, object: &Value) -> Value {
        match self {
            Self::Whole => object.clone(),
            Self::Metadata => json!({
                "apiVersion": "meta.k8s.io/v1",
                "kind": "PartialObjectMetadata",
                "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
            }),
        }
    }
}
