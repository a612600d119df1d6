//! Why the files source did not hand a load to the feed.

use std::error::Error;
use std::fmt;

use crate::manifests::ManifestError;

/// Why a load of manifest files changed nothing: the last good tables
/// stay.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReloadError {
    /// The path itself (the file, or the directory) could not be read; the
    /// text is the [`ManifestError`]'s.
    Unreadable(ManifestError),
    /// Files that parsed at the last accepted load no longer do (being
    /// written, say): their objects would vanish, so nothing is applied.
    NoLongerParse {
        /// How many files broke.
        newly_broken: usize,
        /// Every file and document that did not parse.
        errors: Vec<ManifestError>,
    },
}

impl fmt::Display for ReloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable(error) => error.fmt(f),
            Self::NoLongerParse { newly_broken, .. } => {
                write!(f, "{newly_broken} files no longer parse; the last good routes stay")
            }
        }
    }
}

impl Error for ReloadError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            // Transparent: the error's own text is this one's.
            Self::Unreadable(error) => error.source(),
            Self::NoLongerParse { .. } => None,
        }
    }
}
