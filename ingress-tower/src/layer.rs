//! The layer.

use ingress_core::{Backend, SharedTable};
use tower_layer::Layer;

use crate::fallback::NotFoundText;
use crate::service::IngressRouting;

/// Wraps services in [`IngressRouting`]. Cheap to clone; every service it
/// makes shares the same [`SharedTable`], so publishing a new table
/// re-routes the very next request everywhere.
#[derive(Debug, Clone)]
pub struct IngressRoutingLayer<B = Backend, F = NotFoundText> {
    table: SharedTable<B>,
    fallback: F,
    rewrite_path: bool,
    record_not_found: bool,
}

impl<B> IngressRoutingLayer<B> {
    /// Routes by `table`; unmatched requests get `404` text.
    pub fn new(table: SharedTable<B>) -> Self {
        Self {
            table,
            fallback: NotFoundText,
            rewrite_path: true,
            record_not_found: false,
        }
    }
}

impl<B, F> IngressRoutingLayer<B, F> {
    /// Sends requests that no route serves to `fallback` instead of answering
    /// 404 (an axum handler, say). It finds an [`ingress_core::table::NotFound`] in
    /// the request's extensions. Its error type must convert into the inner
    /// service's.
    pub fn fallback<G>(self, fallback: G) -> IngressRoutingLayer<B, G> {
        IngressRoutingLayer {
            table: self.table,
            fallback,
            rewrite_path: self.rewrite_path,
            record_not_found: true,
        }
    }

    /// Leaves request URIs as received: the route record is still put into
    /// the extensions, but the path is not replaced by its canonical form.
    #[must_use]
    pub fn keep_uri(mut self) -> Self {
        self.rewrite_path = false;
        self
    }
}

impl<S, B, F: Clone> Layer<S> for IngressRoutingLayer<B, F> {
    type Service = IngressRouting<S, B, F>;

    fn layer(&self, inner: S) -> Self::Service {
        IngressRouting {
            inner,
            fallback: self.fallback.clone(),
            table: self.table.clone(),
            rewrite_path: self.rewrite_path,
            record_not_found: self.record_not_found,
        }
    }
}
