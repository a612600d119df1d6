//! LIST: all namespaces or one, selectors, and `limit`/`continue` paging
//! over a snapshot, so every page of one list has the first page's
//! `resourceVersion`, as the API server's paged lists do.

use http::Response;
use serde_json::{Value, json};

use super::query::Query;
use super::reply::{self, Body};
use super::route::Route;
use super::selector::Selector;
use super::shared::Shared;
use super::view::View;

/// Answers a LIST of `route`'s collection.
pub(crate) fn list(shared: &Shared, route: &Route, query: &Query, view: View) -> Response<Body> {
    let faults = shared.faults();
    let kind_status = faults
        .kind_list_status
        .iter()
        .find(|(kind, _)| kind == route.resource.kind)
        .map(|(_, code)| *code);
    if let Some(code) = faults.list_status.or(kind_status) {
        return reply::status(code, reply::reason_for(code), "list refused by the fake API server");
    }
    let selector = match Selector::parse(query.get("fieldSelector"), query.get("labelSelector")) {
        Ok(selector) => selector,
        Err(error) => return reply::status(400, "BadRequest", &format!("unable to parse {}", error.0)),
    };
    let limit = query
        .number("limit")
        .and_then(|l| usize::try_from(l).ok())
        .filter(|l| *l > 0);
    let mut store = shared.store();
    let (rv, items, next) = if let Some(token) = query.get("continue").filter(|t| !t.is_empty()) {
        let Some((id, offset)) = parse_token(token) else {
            return reply::status(400, "BadRequest", "malformed continue token");
        };
        let Some((rv, all)) = store.pages(id) else {
            return reply::status(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result.",
            );
        };
        let end = limit.map_or(all.len(), |l| offset.saturating_add(l).min(all.len()));
        let items = all.get(offset..end).unwrap_or_default().to_vec();
        let next = (end < all.len()).then(|| (format!("{id}.{end}"), all.len() - end));
        (rv, items, next)
    } else {
        if query.get("resourceVersionMatch") == Some("Exact")
            && query.number("resourceVersion").is_some_and(|rv| rv < store.compacted())
        {
            return reply::status(410, "Expired", "too old resource version");
        }
        let all: Vec<Value> = store
            .list(route.index, route.namespace.as_deref())
            .into_iter()
            .filter(|o| selector.matches(o))
            .collect();
        let rv = store.current();
        match limit.filter(|l| all.len() > *l) {
            Some(l) => {
                let first = all.get(..l).unwrap_or_default().to_vec();
                let remaining = all.len() - l;
                let id = store.save_pages(all);
                (rv, first, Some((format!("{id}.{l}"), remaining)))
            }
            None => (rv, all, None),
        }
    };
    drop(store);
    let mut metadata = serde_json::Map::new();
    if !faults.list_without_rv {
        metadata.insert("resourceVersion".into(), json!(rv.to_string()));
    }
    if let Some((token, remaining)) = next {
        metadata.insert("continue".into(), json!(token));
        metadata.insert("remainingItemCount".into(), json!(remaining));
    }
    let (api_version, kind) = match view {
        View::Whole => (route.resource.api_version(), format!("{}List", route.resource.kind)),
        View::Metadata => ("meta.k8s.io/v1".to_owned(), "PartialObjectMetadataList".to_owned()),
    };
    let items: Vec<Value> = items.iter().map(|o| view.show(o)).collect();
    reply::json(
        200,
        &json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "items": items}),
    )
}

/// A `continue` token: `{snapshot}.{offset}`.
fn parse_token(token: &str) -> Option<(u64, usize)> {
    let (id, offset) = token.split_once('.')?;
    Some((id.parse().ok()?, offset.parse().ok()?))
}
