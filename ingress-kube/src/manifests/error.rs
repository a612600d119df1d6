//! Files and documents that could not be read.

use std::error::Error;
use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// A file, a directory or a document that could not be read. The rest of
/// the manifests still load.
#[derive(Debug)]
#[non_exhaustive]
pub enum ManifestError {
    /// A file or directory could not be read.
    Read {
        /// The file or directory.
        path: Arc<Path>,
        /// Why.
        error: io::Error,
    },
    /// A file is not UTF-8 text.
    NotUtf8 {
        /// The file.
        path: Arc<Path>,
        /// The line (from 1) holding the first byte that is not UTF-8.
        line: usize,
    },
    /// A document could not be parsed, or is not an object this crate can
    /// use (no `kind`, no `metadata.name`). The other documents of the file
    /// still load.
    Document {
        /// The file.
        path: Arc<Path>,
        /// The document's number in the file, from 1 (see
        /// [`Source::document`](crate::Source::document)).
        document: usize,
        /// The line of the failure, from 1.
        line: usize,
        /// Its column, from 1, when the parser knows it.
        column: Option<usize>,
        /// The parser's message. For a Secret, a fixed text instead: the
        /// parser's message could quote the Secret's data.
        message: String,
    },
}

impl ManifestError {
    /// The file or directory concerned.
    pub fn path(&self) -> &Path {
        match self {
            Self::Read { path, .. } | Self::NotUtf8 { path, .. } | Self::Document { path, .. } => path,
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, error } => write!(f, "{}: cannot read: {error}", path.display()),
            Self::NotUtf8 { path, line } => write!(f, "{}:{line}: not UTF-8 text", path.display()),
            Self::Document {
                path,
                document,
                line,
                column,
                message,
            } => {
                write!(f, "{}:{line}", path.display())?;
                if let Some(column) = column {
                    write!(f, ":{column}")?;
                }
                write!(f, ": document {document}: {message}")
            }
        }
    }
}

impl Error for ManifestError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Read { error, .. } => Some(error),
            Self::NotUtf8 { .. } | Self::Document { .. } => None,
        }
    }
}
