//! The live table: readers load it without locks, a writer swaps in new
//! versions.
//!
//! Every request does one [`SharedTable::load`] (an atomic load, no lock,
//! no reference-count traffic in the common case) and keeps that table for
//! as long as it holds the guard, so a swap never changes the answer under
//! an in-flight request. Publishing a table equal to the current one does
//! nothing, so re-reading unchanged sources never bumps the version.
//!
//! ```
//! use ingress_core::{HttpIngressPath, Ingress, IngressBackend, RouteTable, SharedTable, TableOptions};
//! use ingress_core::shared::Published;
//!
//! let options = TableOptions::default();
//! let v1 = Ingress::new("default", "web").with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("v1", 80))]);
//! let shared = SharedTable::new(RouteTable::from_ingresses([v1.clone()], &options));
//! let before = shared.load();
//!
//! let v2 = Ingress::new("default", "web").with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("v2", 80))]);
//! assert_eq!(shared.publish(RouteTable::from_ingresses([v2], &options)), Published::New { version: 2 });
//! assert_eq!(shared.publish(RouteTable::from_ingresses([v1], &options)), Published::New { version: 3 });
//! assert_eq!(shared.publish(shared.load().table().clone()), Published::Unchanged { version: 3 });
//!
//! // The guard taken before the swaps still sees version 1.
//! assert_eq!(before.version(), 1);
//! assert_eq!(shared.load().version(), 3);
//! ```

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::{ArcSwap, Guard};

use crate::table::RouteTable;
use crate::validation::Backend;

/// A routing table that many readers share and a writer replaces.
/// Cloning is cheap and gives another handle to the same table.
pub struct SharedTable<B = Backend> {
    inner: Arc<Inner<B>>,
}

struct Inner<B> {
    current: ArcSwap<Versioned<B>>,
    /// Serialises writers so versions count up one at a time; readers
    /// never take it.
    writer: Mutex<()>,
}

/// A table with the version it was published as.
#[derive(Debug)]
pub struct Versioned<B> {
    version: u64,
    table: RouteTable<B>,
}

impl<B> Versioned<B> {
    /// The version: 1 for the first table, one more per published change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The table.
    pub fn table(&self) -> &RouteTable<B> {
        &self.table
    }
}

impl<B> Deref for Versioned<B> {
    type Target = RouteTable<B>;

    fn deref(&self) -> &RouteTable<B> {
        &self.table
    }
}

/// A reader's hold on one version of the table. Hold it for one request,
/// not for long: use [`SharedTable::load_full`] to keep a table around.
pub struct TableGuard<B> {
    guard: Guard<Arc<Versioned<B>>>,
}

impl<B> Deref for TableGuard<B> {
    type Target = Versioned<B>;

    fn deref(&self) -> &Versioned<B> {
        &self.guard
    }
}

impl<B: fmt::Debug> fmt::Debug for TableGuard<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableGuard")
            .field("version", &self.guard.version)
            .finish_non_exhaustive()
    }
}

/// What [`SharedTable::publish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The table differed and is now current, as this version.
    New {
        /// Its version.
        version: u64,
    },
    /// The table equals the current one; nothing changed.
    Unchanged {
        /// The current version.
        version: u64,
    },
}

impl<B> SharedTable<B> {
    /// A shared table starting at `table`, version 1.
    pub fn new(table: RouteTable<B>) -> Self {
        Self {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(Versioned { version: 1, table }),
                writer: Mutex::new(()),
            }),
        }
    }

    /// The current table, without locking. The guard keeps this version
    /// alive however many swaps happen meanwhile.
    pub fn load(&self) -> TableGuard<B> {
        TableGuard {
            guard: self.inner.current.load(),
        }
    }

    /// The current table as an `Arc`, for holding on to it.
    pub fn load_full(&self) -> Arc<Versioned<B>> {
        self.inner.current.load_full()
    }

    /// The current version.
    pub fn version(&self) -> u64 {
        self.inner.current.load().version
    }

    /// Makes `table` current, unless it equals the current table.
    pub fn publish(&self, table: RouteTable<B>) -> Published
    where
        B: PartialEq,
    {
        let _writer = self.inner.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.inner.current.load();
        if current.table == table {
            return Published::Unchanged {
                version: current.version,
            };
        }
        let version = current.version + 1;
        self.inner.current.store(Arc::new(Versioned { version, table }));
        Published::New { version }
    }

    /// Makes `table` current as a new version without comparing it with
    /// the current one: for a writer that already knows it differs (a feed
    /// that compared the tables it compiled them from, say), where
    /// [`SharedTable::publish`] would compare every route again. Returns
    /// the new version.
    ///
    /// ```
    /// use ingress_core::{RouteTable, SharedTable};
    ///
    /// let shared: SharedTable<u8> = SharedTable::new(RouteTable::default());
    /// assert_eq!(shared.replace(RouteTable::default()), 2);
    /// assert_eq!(shared.version(), 2);
    /// ```
    pub fn replace(&self, table: RouteTable<B>) -> u64 {
        let _writer = self.inner.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let version = self.inner.current.load().version + 1;
        self.inner.current.store(Arc::new(Versioned { version, table }));
        version
    }
}

impl<B> Clone for SharedTable<B> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<B> Default for SharedTable<B> {
    fn default() -> Self {
        Self::new(RouteTable::default())
    }
}

impl<B: fmt::Debug> fmt::Debug for SharedTable<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedTable")
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}
