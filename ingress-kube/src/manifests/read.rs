//! Reading files into decoded documents, several files at a time.
//!
//! Reading is pure: each file gives its entries, and [`Manifests`] takes
//! them in file order, so the result (duplicates included) is the same
//! whatever the number of threads. The entries of a file depend on its
//! bytes and format only, which is what lets a cache reuse them.
//!
//! [`Manifests`]: super::Manifests

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use super::decode::{Decoded, decode};
use super::error::ManifestError;
use super::format::{Failure, Format};
use super::split;
use super::walk::read_error;

/// What one document of a file gave.
#[derive(Clone)]
pub(crate) enum Entry {
    /// An object, or a skipped one.
    Decoded { document: usize, decoded: Decoded },
    /// A document that could not be read.
    Failed { document: usize, failure: Failure },
}

impl Entry {
    /// Drops what routing never reads from the entry's object, if any.
    pub(crate) fn strip_unread(&mut self) {
        if let Self::Decoded {
            decoded: Decoded::Object { object, .. },
            ..
        } = self
        {
            object.strip_unread();
        }
    }
}

/// Every entry of `text`, in order.
pub(crate) fn read_text(format: Format, text: &str) -> Vec<Entry> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (documents, syntax_error) = match format {
        Format::Yaml => (split::yaml_documents(text), None),
        Format::Json => match split::json_documents(text) {
            Ok(documents) => (documents, None),
            Err((documents, error)) => (documents, Some(error)),
        },
    };
    let mut entries = Vec::with_capacity(documents.len());
    for document in documents.iter().filter(|document| document.content_line.is_some()) {
        match decode(format, document) {
            Ok(decoded) => entries.extend(decoded.into_iter().map(|decoded| Entry::Decoded {
                document: document.number,
                decoded,
            })),
            Err(failure) => entries.push(Entry::Failed {
                document: document.number,
                failure,
            }),
        }
    }
    if let Some(error) = syntax_error {
        // A JSON syntax error ends the stream: it is in the next document.
        let text = error.to_string();
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        entries.push(Entry::Failed {
            document: documents.len() + 1,
            failure: Failure {
                line: error.line().max(1),
                column: Some(error.column()),
                message: text.strip_suffix(&suffix).unwrap_or(&text).to_owned(),
            },
        });
    }
    entries
}

/// Every entry of the file at `path`, or why it cannot be read.
pub(crate) fn read_file(path: &Path, format: Format) -> Result<Vec<Entry>, ManifestError> {
    let bytes = fs::read(path).map_err(|error| read_error(path, error))?;
    read_bytes(path, format, &bytes)
}

/// Every entry of `bytes`, read from the file at `path`, or why they are
/// not text.
pub(crate) fn read_bytes(path: &Path, format: Format, bytes: &[u8]) -> Result<Vec<Entry>, ManifestError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(read_text(format, text)),
        Err(error) => {
            let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
            Err(ManifestError::NotUtf8 {
                path: path.into(),
                line: 1 + valid.iter().filter(|&&byte| byte == b'\n').count(),
            })
        }
    }
}

pub(crate) type FileEntries = Result<Vec<Entry>, ManifestError>;

/// [`read_file`] for each file, in order, on up to as many threads as the
/// machine has cores (the calling thread included).
pub(crate) fn read_files(files: &[(PathBuf, Format)]) -> Vec<FileEntries> {
    in_parallel(files, |(path, format)| read_file(path, *format))
}

/// `work` for each item, results in the items' order, on up to as many
/// threads as the machine has cores (the calling thread included).
pub(crate) fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let worker = || {
        let mut finished = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                break;
            };
            finished.push((index, work(item)));
        }
        if let Ok(mut done) = done.lock() {
            done.append(&mut finished);
        }
    };
    let helpers = thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(items.len())
        .saturating_sub(1);
    thread::scope(|scope| {
        for _ in 0..helpers {
            // A helper that cannot be started leaves its share to the others.
            let _ = thread::Builder::new().spawn_scoped(scope, worker);
        }
        worker();
    });
    let mut done = done.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}
