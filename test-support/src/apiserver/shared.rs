//! The state every connection shares: the store behind a mutex, change
//! and fault notifications for watch streams, the request log and the
//! shutdown signal.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use super::faults::Faults;
use super::request_log::RequestRecord;
use super::store::Store;

/// Shared server state.
#[derive(Debug)]
pub(crate) struct Shared {
    store: Mutex<Store>,
    /// The newest version, sent after every write.
    pub(crate) changed: watch::Sender<u64>,
    /// The fault switches.
    pub(crate) faults: watch::Sender<Faults>,
    /// Set once when the server stops.
    pub(crate) shutdown: watch::Sender<bool>,
    requests: Mutex<Vec<RequestRecord>>,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Self {
            store: Mutex::new(Store::default()),
            changed: watch::Sender::new(0),
            faults: watch::Sender::new(Faults::default()),
            shutdown: watch::Sender::new(false),
            requests: Mutex::new(Vec::new()),
        }
    }

    /// Reads the store.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the store, then wakes the watch streams.
    pub(crate) fn write<R>(&self, change: impl FnOnce(&mut Store) -> R) -> R {
        let (result, rv) = {
            let mut store = self.store();
            let result = change(&mut store);
            (result, store.current())
        };
        self.changed.send_replace(rv);
        result
    }

    /// A copy of the fault switches.
    pub(crate) fn faults(&self) -> Faults {
        self.faults.borrow().clone()
    }

    /// Logs a request.
    pub(crate) fn record(&self, record: RequestRecord) {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
    }

    /// The requests so far, oldest first.
    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Resolves once `shutdown` is set (at once if it already is).
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}
