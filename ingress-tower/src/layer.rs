//! The layer.

use ingress_core::{Backend, SharedTable};
use tower_layer::Layer;

use crate::fallback::NotFoundText;
use crate::service::Ingress;

/// Applies [`Ingress`] routing to a service. Cheap to clone; every service
/// it makes shares the same [`SharedTable`], so publishing a new table
/// re-routes the very next request everywhere.
#[derive(Debug, Clone)]
pub struct IngressLayer<B = Backend, F = NotFoundText> {
    table: SharedTable<B>,
    fallback: F,
    rewrite_path: bool,
    record_not_found: bool,
}

impl<B> IngressLayer<B> {
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

impl<B, F> IngressLayer<B, F> {
    /// Sends requests that no route serves to `fallback` instead of answering
    /// 404 (an axum handler, say). It finds an [`ingress_core::table::NotFound`] in
    /// the request's extensions. Its error type must convert into the inner
    /// service's.
    pub fn fallback<G>(self, fallback: G) -> IngressLayer<B, G> {
        IngressLayer {
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

impl<S, B, F: Clone> Layer<S> for IngressLayer<B, F> {
    type Service = Ingress<S, B, F>;

    fn layer(&self, inner: S) -> Self::Service {
        Ingress {
            inner,
            fallback: self.fallback.clone(),
            table: self.table.clone(),
            rewrite_path: self.rewrite_path,
            record_not_found: self.record_not_found,
        }
    }
}
