//! [`RequestRecord`]: one request as the fake saw it, for assertions
//! such as "a stream end did not cause a LIST".

use http::Method;

/// A request's method and path with its query, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The HTTP method.
    pub method: Method,
    /// The path and query, e.g. `/api/v1/services?&limit=500`.
    pub path_and_query: String,
}

impl RequestRecord {
    fn query_flag(&self, key: &str) -> bool {
        let query = self.path_and_query.split_once('?').map_or("", |(_, q)| q);
        query
            .split('&')
            .any(|pair| pair == format!("{key}=true") || pair == format!("{key}=1"))
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }

    /// Whether this is a watch (`GET` with `watch=true`).
    pub fn is_watch(&self) -> bool {
        self.method == Method::GET && self.query_flag("watch")
    }

    /// Whether this is a LIST: a `GET` of a collection that is not a
    /// watch. `path_ends_with` narrows it to one resource (`/ingresses`).
    pub fn is_list_of(&self, path_ends_with: &str) -> bool {
        self.method == Method::GET && !self.is_watch() && self.path().ends_with(path_ends_with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_watches_are_told_apart_by_the_watch_flag() {
        let record = |m: Method, p: &str| RequestRecord {
            method: m,
            path_and_query: p.to_owned(),
        };
        let list = record(Method::GET, "/api/v1/services?&limit=500");
        let watch = record(Method::GET, "/api/v1/services?&watch=true&resourceVersion=3");
        assert!(list.is_list_of("/services") && !list.is_watch());
        assert!(watch.is_watch() && !watch.is_list_of("/services"));
        assert!(!record(Method::POST, "/api/v1/services").is_list_of("/services"));
        assert_eq!(watch.path(), "/api/v1/services");
    }
}
