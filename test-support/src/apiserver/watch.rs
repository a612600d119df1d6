//! WATCH: a chunked stream of newline-terminated JSON events, resumed
//! from `resourceVersion` out of the store's event log; `BOOKMARK`s while
//! idle; an `ERROR` event with a 410 `Status` (never an HTTP 410) when the
//! version is older than the compaction point; ends at `timeoutSeconds`,
//! the configured stream lifetime, or shutdown; breaks mid-stream when a
//! test drops the watches.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, header};
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::faults::Faults;
use super::query::Query;
use super::reply::{self, Body};
use super::route::Route;
use super::selector::Selector;
use super::shared::Shared;
use super::store::Expired;
use super::view::View;

/// How long a stream lives when the client sets no `timeoutSeconds` (the
/// API server picks 30 to 60 minutes).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(1800);

/// Answers a watch of `route`'s collection.
pub(crate) fn watch(shared: &Arc<Shared>, route: &Route, query: &Query, view: View) -> Response<Body> {
    let selector = match Selector::parse(query.get("fieldSelector"), query.get("labelSelector")) {
        Ok(selector) => selector,
        Err(error) => return reply::status(400, "BadRequest", &format!("unable to parse {}", error.0)),
    };
    let from = match query.get("resourceVersion").filter(|v| !v.is_empty()) {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(rv) => Some(rv),
            Err(_) => return reply::status(400, "BadRequest", &format!("invalid resourceVersion {text:?}")),
        },
    };
    let faults = shared.faults();
    let timeout = query.number("timeoutSeconds").map(Duration::from_secs);
    let lifetime = [timeout, faults.watch_lifetime]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(DEFAULT_LIFETIME);
    let now = Instant::now();
    let (api_version, kind) = match view {
        View::Whole => (route.resource.api_version(), route.resource.kind.to_owned()),
        View::Metadata => ("meta.k8s.io/v1".to_owned(), "PartialObjectMetadata".to_owned()),
    };
    let mut stream = WatchStream {
        shared: Arc::clone(shared),
        index: route.index,
        namespace: route.namespace.clone(),
        selector,
        view,
        api_version,
        kind,
        bookmarks: query.flag("allowWatchBookmarks"),
        last_rv: from.unwrap_or_default(),
        queue: VecDeque::new(),
        done: false,
        deadline: later(now, lifetime),
        next_bookmark: later(now, faults.bookmark_interval),
        bookmark_due: false,
        epoch: faults.watch_epoch,
        changed: shared.changed.subscribe(),
        faults: shared.faults.subscribe(),
        shutdown: shared.shutdown.subscribe(),
    };
    let send_initial = query.flag("sendInitialEvents");
    if from.is_none_or(|rv| rv == 0) || send_initial {
        stream.initial_events(send_initial);
    }
    let body = StreamBody::new(futures_util::stream::unfold(stream, |mut stream| async move {
        stream.next().await.map(|item| (item, stream))
    }));
    let mut response = Response::new(body.boxed_unsync());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `now + after`, or far in the future when that overflows (a client may
/// ask for any `timeoutSeconds`).
fn later(now: Instant, after: Duration) -> Instant {
    now.checked_add(after)
        .or_else(|| now.checked_add(DEFAULT_LIFETIME * 1000))
        .unwrap_or(now)
}

/// One open watch.
struct WatchStream {
    shared: Arc<Shared>,
    index: usize,
    namespace: Option<String>,
    selector: Selector,
    view: View,
    api_version: String,
    kind: String,
    bookmarks: bool,
    last_rv: u64,
    queue: VecDeque<Bytes>,
    done: bool,
    deadline: Instant,
    next_bookmark: Instant,
    bookmark_due: bool,
    epoch: u64,
    changed: watch::Receiver<u64>,
    faults: watch::Receiver<Faults>,
    shutdown: watch::Receiver<bool>,
}

impl WatchStream {
    /// The next chunk; `None` ends the stream cleanly, an error breaks
    /// the connection.
    async fn next(&mut self) -> Option<Result<Frame<Bytes>, std::io::Error>> {
        loop {
            if let Some(line) = self.queue.pop_front() {
                return Some(Ok(Frame::data(line)));
            }
            if self.done {
                return None;
            }
            let faults = self.faults.borrow_and_update().clone();
            if faults.watch_epoch != self.epoch {
                self.done = true;
                return Some(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "watch stream dropped by the fake API server",
                )));
            }
            if *self.shutdown.borrow_and_update() || Instant::now() >= self.deadline {
                self.done = true;
                continue;
            }
            if !faults.cut_off {
                self.changed.borrow_and_update();
                self.scan();
                if self.queue.is_empty() && self.bookmark_due {
                    self.bookmark(None);
                    self.bookmark_due = false;
                    self.next_bookmark = later(Instant::now(), faults.bookmark_interval);
                }
                if !self.queue.is_empty() || self.done {
                    continue;
                }
            }
            let wake = if self.bookmarks && !faults.cut_off {
                self.deadline.min(self.next_bookmark)
            } else {
                self.deadline
            };
            tokio::select! {
                _ = self.changed.changed() => {}
                _ = self.faults.changed() => {}
                _ = self.shutdown.changed() => {}
                () = tokio::time::sleep_until(wake) => {
                    if Instant::now() >= self.next_bookmark {
                        self.bookmark_due = true;
                    }
                }
            }
        }
    }

    /// An `ADDED` event for every current object, then (for a streaming
    /// list) the bookmark that ends the initial events.
    fn initial_events(&mut self, end_bookmark: bool) {
        let (objects, rv) = {
            let store = self.shared.store();
            (store.list(self.index, self.namespace.as_deref()), store.current())
        };
        let shown: Vec<Value> = objects
            .iter()
            .filter(|o| self.selector.matches(o))
            .map(|o| self.view.show(o))
            .collect();
        for object in &shown {
            self.push("ADDED", object);
        }
        self.last_rv = rv;
        if end_bookmark && self.bookmarks {
            self.bookmark(Some(json!({"k8s.io/initial-events-end": "true"})));
        }
    }

    /// Queues the logged changes after `last_rv`, or the 410 `ERROR`.
    fn scan(&mut self) {
        let found = {
            let store = self.shared.store();
            store
                .changes_after(self.index, self.namespace.as_deref(), self.last_rv)
                .map(|changes| (changes, store.current()))
        };
        match found {
            Ok((changes, rv)) => {
                let shown: Vec<(&str, Value)> = changes
                    .iter()
                    .filter(|c| self.selector.matches(&c.object))
                    .map(|c| (c.change.as_str(), self.view.show(&c.object)))
                    .collect();
                for (kind, object) in &shown {
                    self.push(kind, object);
                }
                self.last_rv = rv;
            }
            Err(Expired { oldest }) => {
                let message = format!("too old resource version: {} ({oldest})", self.last_rv);
                self.push("ERROR", &reply::status_object(410, "Expired", &message));
                self.done = true;
            }
        }
    }

    fn bookmark(&mut self, annotations: Option<Value>) {
        let mut metadata = json!({"resourceVersion": self.last_rv.to_string()});
        if let (Some(annotations), Some(fields)) = (annotations, metadata.as_object_mut()) {
            fields.insert("annotations".into(), annotations);
        }
        let object = json!({"apiVersion": self.api_version, "kind": self.kind, "metadata": metadata});
        self.push("BOOKMARK", &object);
    }

    fn push(&mut self, kind: &str, object: &Value) {
        let mut line = json!({"type": kind, "object": object}).to_string();
        line.push('\n');
        self.queue.push_back(Bytes::from(line));
    }
}
