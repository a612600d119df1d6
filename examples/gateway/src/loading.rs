//! Manifests in, routing table out: one way for every command.

use anyhow::Context as _;
use ingress_core::{RouteTable, TableOptions};
use ingress_kube::{ClassSelector, Loaded, load_set};

use crate::cli::Source;

/// The loaded manifests and the table compiled from our Ingresses.
pub(crate) struct Compiled {
    pub(crate) loaded: Loaded,
    pub(crate) table: RouteTable,
}

pub(crate) fn load(source: &Source) -> anyhow::Result<Compiled> {
    let selector = ClassSelector::new(source.controller.as_str()).with_watch_without_class(source.watch_without_class);
    let loaded = load_set(&source.manifests, &selector)
        .with_context(|| format!("cannot read manifests at {}", source.manifests.display()))?;
    let table = loaded.set().compile(&TableOptions::default());
    Ok(Compiled { loaded, table })
}
