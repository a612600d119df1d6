//! Reloads that parse only the files that changed: [`ManifestCache`]
//! keeps, for each file of the last load, what reading it gave, and gives
//! it again while the file stays the same.
//!
//! A file is parsed when it is new or its bytes changed. One whose
//! [fingerprint](super::fingerprint) is unchanged since it was read, and
//! settled, is not even read; one whose fingerprint moved (`touch`, a copy,
//! a ConfigMap update, which replaces every file) is read and parsed only
//! if its bytes differ.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::error::ManifestError;
use super::fingerprint::Fingerprint;
use super::format::Format;
use super::read::{self, Entry, FileEntries};
use super::walk::read_error;

/// What [`Manifests::load_cached`](crate::Manifests::load_cached) read at
/// its last load, to reuse at the next one: a reload then parses only the
/// files that are new or changed, and gives the same [`Manifests`] as
/// [`Manifests::load`] would.
///
/// It holds a copy of every object of the last load's files (readable
/// ones: a file that cannot be read is read again each time); files no
/// longer found are dropped at each load. Use one cache per path.
///
/// Its `Debug` output shows counts only, never an object (T3).
///
/// ```
/// use ingress_kube::{ManifestCache, Manifests};
///
/// let dir = tempfile::tempdir().unwrap();
/// let service = |name: &str| format!("apiVersion: v1\nkind: Service\nmetadata: {{ name: {name} }}\n");
/// std::fs::write(dir.path().join("a.yaml"), service("a")).unwrap();
/// std::fs::write(dir.path().join("b.yaml"), service("b")).unwrap();
///
/// let mut cache = ManifestCache::new();
/// let first = Manifests::load_cached(dir.path(), &mut cache).unwrap();
/// assert_eq!((first.services().len(), cache.last_load().parsed), (2, 2));
///
/// std::fs::write(dir.path().join("b.yaml"), service("bb")).unwrap();
/// let second = Manifests::load_cached(dir.path(), &mut cache).unwrap();
/// assert_eq!(cache.last_load().parsed, 1);
/// assert_eq!(second.services()[1].id().name, "bb");
/// ```
///
/// [`Manifests`]: crate::Manifests
/// [`Manifests::load`]: crate::Manifests::load
pub struct ManifestCache {
    files: HashMap<PathBuf, CachedFile>,
    /// Hashes file contents; its keys are random, per cache.
    hasher: RandomState,
    last_load: CacheStats,
    /// Whether objects are stripped of what routing never reads as they
    /// are parsed ([`ManifestCache::stripping`]).
    strip: bool,
}

/// What happened to the files of a cached load, file by file: each file
/// is counted once, in `reused`, `rechecked`, `parsed` or `unreadable`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Manifest files found, as [`Manifests::files`](crate::Manifests::files)
    /// counts them.
    pub files: usize,
    /// Files neither read nor parsed: their fingerprint (size, times, inode)
    /// is the one they had when they were read.
    pub reused: usize,
    /// Files read again and found byte for byte the same, so not parsed:
    /// their fingerprint moved (`touch`, a copy over them, a ConfigMap
    /// update), or they had changed too shortly before they were read for
    /// it to be trusted.
    pub rechecked: usize,
    /// Files read and parsed: new, or changed.
    pub parsed: usize,
    /// Files that could not be read, or are not UTF-8 text; each is in
    /// [`Manifests::errors`](crate::Manifests::errors), and not cached.
    pub unreadable: usize,
}

/// One file as it was read.
struct CachedFile {
    format: Format,
    fingerprint: Fingerprint,
    /// Whether `fingerprint` alone tells that the file is unchanged (see
    /// [`Fingerprint::is_settled`]).
    settled: bool,
    /// The hash of the bytes read.
    content: u64,
    entries: Vec<Entry>,
}

/// What became of one file.
enum Outcome {
    Reused(Vec<Entry>),
    Rechecked {
        fingerprint: Fingerprint,
        settled: bool,
        entries: Vec<Entry>,
    },
    /// Parsed; cached unless it is not a regular file (a pipe, a device),
    /// whose fingerprint says nothing about what it gives.
    Parsed {
        cached: Option<CachedFile>,
        entries: Vec<Entry>,
    },
    Unreadable(ManifestError),
}

impl ManifestCache {
    /// An empty cache: the first load with it parses every file.
    pub fn new() -> Self {
        Self {
            files: HashMap::new(),
            hasher: RandomState::new(),
            last_load: CacheStats::default(),
            strip: false,
        }
    }

    /// An empty cache that strips each object of what routing never
    /// reads (as the cluster source's stores do) before it keeps it, for a
    /// [`FileSource`](crate::feed::FileSource): loads with it give the
    /// objects stripped, unlike [`Manifests::load`], and hold a fraction
    /// of the memory.
    ///
    /// [`Manifests::load`]: crate::Manifests::load
    pub(crate) fn stripping() -> Self {
        Self {
            strip: true,
            ..Self::new()
        }
    }

    /// Number of files cached: the readable files of the last load.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is cached.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Whether the file at `path` (as the load named it: the path given,
    /// joined with the entries below it) is cached.
    pub fn contains(&self, path: impl AsRef<Path>) -> bool {
        self.files.contains_key(path.as_ref())
    }

    /// What the last load did with each file.
    pub fn last_load(&self) -> CacheStats {
        self.last_load
    }

    /// Forgets every file, after a load that found no files at all (its
    /// path could not be read).
    pub(super) fn forget(&mut self) {
        self.files.clear();
        self.last_load = CacheStats::default();
    }

    /// The entries of each file, in order, as [`read::read_files`] gives
    /// them, from the cache where the file is unchanged. Afterwards the
    /// cache holds exactly the readable regular files among `files`.
    pub(super) fn read_files(&mut self, files: &[(PathBuf, Format)]) -> Vec<FileEntries> {
        let outcomes = read::in_parallel(files, |(path, format)| self.read_file(path, *format));
        let mut previous = std::mem::take(&mut self.files);
        let mut stats = CacheStats {
            files: files.len(),
            ..CacheStats::default()
        };
        let mut read = Vec::with_capacity(files.len());
        for ((path, _), outcome) in files.iter().zip(outcomes) {
            read.push(match outcome {
                Outcome::Reused(entries) => {
                    stats.reused += 1;
                    if let Some(cached) = previous.remove(path) {
                        self.files.insert(path.clone(), cached);
                    }
                    Ok(entries)
                }
                Outcome::Rechecked {
                    fingerprint,
                    settled,
                    entries,
                } => {
                    stats.rechecked += 1;
                    if let Some(cached) = previous.remove(path) {
                        let cached = CachedFile {
                            fingerprint,
                            settled,
                            ..cached
                        };
                        self.files.insert(path.clone(), cached);
                    }
                    Ok(entries)
                }
                Outcome::Parsed { cached, entries } => {
                    stats.parsed += 1;
                    if let Some(cached) = cached {
                        self.files.insert(path.clone(), cached);
                    }
                    Ok(entries)
                }
                Outcome::Unreadable(error) => {
                    stats.unreadable += 1;
                    Err(error)
                }
            });
        }
        self.last_load = stats;
        read
    }

    /// One file: from the cache if its fingerprint is unchanged and
    /// settled, else read, and parsed if its bytes changed. Runs on the
    /// reading threads.
    fn read_file(&self, path: &Path, format: Format) -> Outcome {
        let cached = self.files.get(path).filter(|cached| cached.format == format);
        if let Some(cached) = cached
            && cached.settled
            && fs::metadata(path).is_ok_and(|metadata| Fingerprint::of(&metadata) == cached.fingerprint)
        {
            return Outcome::Reused(cached.entries.clone());
        }
        // Taken before the file's times, so that a change during the read
        // counts as recent.
        let read_at = SystemTime::now();
        let (fingerprint, regular, bytes) = match read_with_fingerprint(path) {
            Ok(read) => read,
            Err(error) => return Outcome::Unreadable(read_error(path, error)),
        };
        let settled = fingerprint.is_settled(read_at);
        let content = self.hasher.hash_one(bytes.as_slice());
        if let Some(cached) = cached
            && regular
            && cached.content == content
        {
            return Outcome::Rechecked {
                fingerprint,
                settled,
                entries: cached.entries.clone(),
            };
        }
        match read::read_bytes(path, format, &bytes) {
            Ok(mut entries) => {
                if self.strip {
                    entries.iter_mut().for_each(Entry::strip_unread);
                }
                Outcome::Parsed {
                    cached: regular.then(|| CachedFile {
                        format,
                        fingerprint,
                        settled,
                        content,
                        entries: entries.clone(),
                    }),
                    entries,
                }
            }
            Err(error) => Outcome::Unreadable(error),
        }
    }
}

/// The fingerprint of the file at `path`, taken before reading it from the
/// same handle (a change while reading moves it), whether it is a regular
/// file, and its bytes.
fn read_with_fingerprint(path: &Path) -> io::Result<(Fingerprint, bool, Vec<u8>)> {
    let mut file = File::open(path)?;
    let metadata = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok((Fingerprint::of(&metadata), metadata.is_file(), bytes))
}

impl Default for ManifestCache {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManifestCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManifestCache")
            .field("files", &self.files.len())
            .field("last_load", &self.last_load)
            .finish_non_exhaustive()
    }
}
