//! Finding the manifest files under a path.
//!
//! A file is read whatever its name. A directory is walked recursively,
//! following symbolic links (each directory once); it yields the files
//! named `*.yaml`, `*.yml` and `*.json`, sorted by path so that the load
//! order, and so which of two duplicates is kept, never depends on the
//! file system. Entries whose names start with `.` are skipped: hidden
//! files, `.git`, and the `..data` links of a ConfigMap mounted as a
//! volume, which would otherwise make every file appear twice.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::ManifestError;
use super::format::Format;

/// The manifest files at `root`, in load order. Fails only when `root`
/// itself cannot be read; directories below it that cannot be read are
/// added to `errors`.
pub(crate) fn manifest_files(root: &Path, errors: &mut Vec<ManifestError>) -> io::Result<Vec<(PathBuf, Format)>> {
    let metadata = fs::metadata(root)?;
    if !metadata.is_dir() {
        let format = Format::from_extension(root).unwrap_or(Format::Yaml);
        return Ok(vec![(root.to_owned(), format)]);
    }
    let mut walk = Walk::default();
    walk.directory(root, errors);
    walk.files.sort_by(|(a, _), (b, _)| a.cmp(b));
    Ok(walk.files)
}

#[derive(Default)]
struct Walk {
    files: Vec<(PathBuf, Format)>,
    visited: HashSet<PathBuf>,
}

impl Walk {
    fn directory(&mut self, directory: &Path, errors: &mut Vec<ManifestError>) {
        let read = fs::canonicalize(directory).and_then(|canonical| {
            let first_visit = self.visited.insert(canonical);
            first_visit.then(|| fs::read_dir(directory)).transpose()
        });
        let entries = match read {
            Ok(Some(entries)) => entries,
            Ok(None) => return,
            Err(error) => return errors.push(read_error(directory, error)),
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    errors.push(read_error(directory, error));
                    continue;
                }
            };
            if entry.file_name().as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let path = entry.path();
            let format = Format::from_extension(&path);
            match fs::metadata(&path) {
                Ok(metadata) if metadata.is_dir() => self.directory(&path, errors),
                Ok(_) => {
                    if let Some(format) = format {
                        self.files.push((path, format));
                    }
                }
                // A broken link named like a manifest is a manifest that
                // cannot be read; other broken links are not ours to judge.
                Err(error) if format.is_some() => errors.push(read_error(&path, error)),
                Err(_) => {}
            }
        }
    }
}

pub(crate) fn read_error(path: &Path, error: io::Error) -> ManifestError {
    ManifestError::Read {
        path: path.into(),
        error,
    }
}
