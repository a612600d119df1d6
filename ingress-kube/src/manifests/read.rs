//! Reading files into decoded documents, several files at a time.
//!
//! Reading is pure: each file gives its entries, and [`Manifests`] takes
//! them in file order, so the result (duplicates included) is the same
//! whatever the number of threads.
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
pub(crate) enum Entry {
    /// An object, or a skipped one.
    Decoded { document: usize, decoded: Decoded },
    /// A document that could not be read.
    Failed { document: usize, failure: Failure },
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
    match std::str::from_utf8(&bytes) {
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

type FileEntries = Result<Vec<Entry>, ManifestError>;

/// [`read_file`] for each file, in order, on up to as many threads as the
/// machine has cores (the calling thread included).
pub(crate) fn read_files(files: &[(PathBuf, Format)]) -> Vec<FileEntries> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, FileEntries)>> = Mutex::new(Vec::with_capacity(files.len()));
    let work = || {
        let mut read = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some((path, format)) = files.get(index) else {
                break;
            };
            read.push((index, read_file(path, *format)));
        }
        if let Ok(mut done) = done.lock() {
            done.append(&mut read);
        }
    };
    let helpers = thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(files.len())
        .saturating_sub(1);
    thread::scope(|scope| {
        for _ in 0..helpers {
            // A helper that cannot be started leaves its share to the others.
            let _ = thread::Builder::new().spawn_scoped(scope, work);
        }
        work();
    });
    let mut done = done.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, entries)| entries).collect()
}
