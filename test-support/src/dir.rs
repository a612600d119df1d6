//! [`ManifestDir`]: a directory of manifest files for one test, on
//! [`tempfile`], written the way a careful deployer writes them.
//!
//! ```
//! use ingress_test_support::ManifestDir;
//!
//! let dir = ManifestDir::with_files(&[("a.yaml", "kind: Service\n")]);
//! let b = dir.write("sub/b.yaml", "kind: Ingress\n");
//! assert_eq!(std::fs::read_to_string(&b).unwrap(), "kind: Ingress\n");
//! dir.remove("a.yaml");
//! assert!(!dir.path().join("a.yaml").exists());
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use tempfile::TempDir;

/// A directory of manifests, removed with everything in it when dropped.
///
/// Every write is atomic: the file is written in a staging directory
/// beside [`ManifestDir::path`] (never inside it), then renamed into
/// place, so a program watching the directory never reads half a file.
/// A rewrite therefore gives the file a new inode, as `kubectl cp`,
/// editors that save by rename, and ConfigMap volumes do.
///
/// The methods panic when the file system fails them: in a test, that is
/// the test failing, with the path and the error in the message.
#[derive(Debug)]
pub struct ManifestDir {
    manifests: PathBuf,
    staging: PathBuf,
    /// Owns both directories; dropping it removes them.
    _root: TempDir,
}

impl ManifestDir {
    /// A new, empty directory.
    ///
    /// # Panics
    ///
    /// When the temporary directory cannot be made.
    pub fn new() -> Self {
        let root = tempfile::Builder::new()
            .prefix("ingress-test-")
            .tempdir()
            .unwrap_or_else(|error| panic!("a temporary directory: {error}"));
        let manifests = root.path().join("manifests");
        let staging = root.path().join("staging");
        for dir in [&manifests, &staging] {
            create_dir(dir);
        }
        Self {
            manifests,
            staging,
            _root: root,
        }
    }

    /// A new directory holding `files`, each a (relative path, text) pair,
    /// written in order with [`ManifestDir::write`].
    ///
    /// # Panics
    ///
    /// As [`ManifestDir::new`] and [`ManifestDir::write`] do.
    pub fn with_files(files: &[(&str, &str)]) -> Self {
        let dir = Self::new();
        for (name, text) in files {
            dir.write(name, text);
        }
        dir
    }

    /// The directory to load (or to pass as `--manifests`).
    pub fn path(&self) -> &Path {
        &self.manifests
    }

    /// Writes (or replaces) the file at `relative`, creating its parent
    /// directories, in one step; returns the file's path.
    ///
    /// # Panics
    ///
    /// When a directory cannot be made or the file cannot be written.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        self.put(relative, contents.as_ref(), None)
    }

    /// [`ManifestDir::write`], with the file's modification time set to
    /// `mtime` before it is moved into place, as `cp -p`, `rsync -a`, `tar`
    /// and reproducible builds (whose files all share one time) leave it.
    ///
    /// # Panics
    ///
    /// As [`ManifestDir::write`] does, and when the time cannot be set.
    pub fn write_with_mtime(&self, relative: &str, contents: impl AsRef<[u8]>, mtime: SystemTime) -> PathBuf {
        self.put(relative, contents.as_ref(), Some(mtime))
    }

    /// Removes the file at `relative`.
    ///
    /// # Panics
    ///
    /// When there is no such file or it cannot be removed.
    pub fn remove(&self, relative: &str) {
        let path = self.manifests.join(relative);
        fs::remove_file(&path).unwrap_or_else(|error| panic!("remove {}: {error}", path.display()));
    }

    fn put(&self, relative: &str, contents: &[u8], mtime: Option<SystemTime>) -> PathBuf {
        // One staging name per write, whatever the target's name.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let aside = self
            .staging
            .join(format!("{}.part", NEXT.fetch_add(1, Ordering::Relaxed)));
        let target = self.manifests.join(relative);
        if let Some(parent) = target.parent() {
            create_dir(parent);
        }
        fs::write(&aside, contents).unwrap_or_else(|error| panic!("write {}: {error}", aside.display()));
        if let Some(mtime) = mtime {
            fs::File::options()
                .write(true)
                .open(&aside)
                .and_then(|file| file.set_modified(mtime))
                .unwrap_or_else(|error| panic!("set the modification time of {}: {error}", aside.display()));
        }
        fs::rename(&aside, &target).unwrap_or_else(|error| panic!("rename into {}: {error}", target.display()));
        target
    }
}

impl Default for ManifestDir {
    fn default() -> Self {
        Self::new()
    }
}

fn create_dir(dir: &Path) {
    fs::create_dir_all(dir).unwrap_or_else(|error| panic!("create {}: {error}", dir.display()));
}
