//! Cached loads (`Manifests::load_cached`): the same manifests as a plain
//! load, with only the files that are new or changed parsed.

mod common;

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use common::*;
use ingress_kube::{CacheStats, ManifestCache, Manifests};
use ingress_test_support::{EndpointSliceYaml, IngressClassYaml, ManifestDir};

/// Loads `path` with `cache` and without, checks that both give the same
/// manifests, and returns what the cache did.
fn load_both(path: &Path, cache: &mut ManifestCache) -> (Manifests, CacheStats) {
    let cached = Manifests::load_cached(path, cache).expect("a cached load");
    let plain = Manifests::load(path).expect("a plain load");
    assert_same(&cached, &plain);
    (cached, cache.last_load())
}

/// Everything a `Manifests` shows, in order.
fn assert_same(cached: &Manifests, plain: &Manifests) {
    assert_eq!(cached.ingresses(), plain.ingresses());
    assert_eq!(cached.ingress_classes(), plain.ingress_classes());
    assert_eq!(cached.services(), plain.services());
    assert_eq!(cached.endpoint_slices(), plain.endpoint_slices());
    assert!(cached.secrets() == plain.secrets(), "the Secrets differ");
    assert_eq!(cached.skipped(), plain.skipped());
    assert_eq!(cached.duplicates(), plain.duplicates());
    let errors = |m: &Manifests| m.errors().iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(errors(cached), errors(plain));
    assert_eq!(cached.files(), plain.files());
    assert_eq!(format!("{cached:?}"), format!("{plain:?}"));
}

/// Writes `contents` over `path`, which must be as long, and sets the
/// modification time back to what it was: size and mtime say nothing.
fn rewrite_keeping_size_and_mtime(path: &Path, contents: &str) {
    let times = |path: &Path| {
        let metadata = std::fs::metadata(path).expect("the file's metadata");
        (metadata.len(), metadata.modified().expect("a modification time"))
    };
    let (len, modified) = times(path);
    assert_eq!(len, contents.len() as u64, "the same size");
    std::fs::write(path, contents).expect("a written file");
    File::options()
        .write(true)
        .open(path)
        .and_then(|file| file.set_modified(modified))
        .expect("the modification time set back");
    assert_eq!(times(path), (len, modified));
}

const SECRET_DATA: &str = "aHVudGVyMg==";

fn secret_yaml(name: &str) -> String {
    format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ndata:\n  password: {SECRET_DATA}\n")
}

const LIST: &str = "\
apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: { name: api }
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: settings }
- apiVersion: v1
  kind: Service
  metadata: { name: web }
  spec: { ports: [{ port: 8080 }] }
";

fn class_yaml() -> String {
    IngressClassYaml::new("gateway", "ingress-rs.dev/ingress-gateway").to_yaml()
}

fn endpoint_slice_yaml() -> String {
    EndpointSliceYaml::new("web-1", "web")
        .endpoint("10.0.0.1", None)
        .to_yaml()
}

#[test]
fn cached_loads_give_what_plain_loads_give() {
    let dir = ManifestDir::new();
    dir.write(
        "a.yaml",
        format!(
            "{}---\n{}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{ name: web }}\n---\nkind: Service\nmetadata: [broken\n",
            ingress_yaml("web"),
            web_service()
        ),
    );
    // A List, whose Service web is a duplicate of a.yaml's.
    dir.write("b.yaml", LIST);
    dir.write(
        "c.json",
        r#"{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "json"}}
{"apiVersion": "v1", "kind": "Service", "metadata": {}}"#,
    );
    dir.write("d.yaml", format!("{}---\n{}", secret_yaml("tls"), class_yaml()));
    dir.write(
        "latin1.yaml",
        b"apiVersion: v1\nkind: ConfigMap\ndata:\n  name: caf\xe9\n",
    );
    dir.write("sub/e.yml", endpoint_slice_yaml());
    let mut cache = ManifestCache::new();

    let (first, stats) = load_both(dir.path(), &mut cache);
    assert_eq!(first.files(), 6);
    assert_eq!(first.duplicates().len(), 1);
    assert_eq!(first.skipped().len(), 2);
    assert_eq!(first.errors().len(), 3, "{:?}", first.errors());
    assert_eq!(
        (stats.files, stats.parsed, stats.unreadable),
        (6, 5, 1),
        "the file that is not UTF-8 is not parsed"
    );
    assert_eq!(cache.len(), 5);
    assert!(!cache.contains(dir.path().join("latin1.yaml")));

    // Nothing changed.
    let (_, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.parsed, stats.unreadable), (0, 1));

    // The List no longer holds the duplicate; c.json gets one; a.yaml is
    // mended.
    dir.write("b.yaml", LIST.replace("name: web }", "name: other }"));
    dir.write(
        "c.json",
        r#"{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}}"#,
    );
    dir.write("a.yaml", format!("{}---\n{}", ingress_yaml("web"), web_service()));
    let (edited, stats) = load_both(dir.path(), &mut cache);
    assert_eq!(stats.parsed, 3);
    assert_eq!(edited.duplicates()[0].object.to_string(), "Ingress default/web");

    // A file goes, another comes, the bad one is mended, one breaks.
    std::fs::remove_file(dir.path().join("b.yaml")).unwrap();
    dir.write("sub/deeper/f.yaml", ingress_yaml("api"));
    dir.write("latin1.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  name: cafe\n");
    dir.write("d.yaml", format!("{}---\nkind: [", secret_yaml("tls")));
    let (edited, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.files, stats.parsed, stats.unreadable), (6, 3, 0));
    assert_eq!(edited.ingresses().len(), 2);
    assert_eq!(cache.len(), 6);
    assert!(!cache.contains(dir.path().join("b.yaml")));
}

#[test]
fn only_new_and_changed_files_are_parsed() {
    let dir = ManifestDir::new();
    let files: Vec<_> = (0..5)
        .map(|n| dir.write(&format!("{n}.yaml"), ingress_yaml(&format!("web-{n}"))))
        .collect();
    let mut cache = ManifestCache::new();

    let (_, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.files, stats.parsed), (5, 5));
    assert_eq!(cache.len(), 5);

    // Nothing touched: nothing parsed. (Files changed this recently are
    // read again to compare their bytes, not parsed.)
    let (_, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.files, stats.parsed), (5, 0));
    assert_eq!(stats.reused + stats.rechecked, 5);

    // One file edited: that file alone is parsed.
    dir.write("2.yaml", ingress_yaml("changed"));
    let (manifests, stats) = load_both(dir.path(), &mut cache);
    assert_eq!(stats.parsed, 1);
    assert_eq!(
        ingress_names(&manifests),
        ["web-0", "web-1", "changed", "web-3", "web-4"]
    );

    // Same size, same modification time, other bytes: still parsed.
    rewrite_keeping_size_and_mtime(&files[3], &ingress_yaml("WEB-3"));
    let (manifests, stats) = load_both(dir.path(), &mut cache);
    assert_eq!(stats.parsed, 1);
    assert_eq!(manifests.ingresses()[3].id().name, "WEB-3");

    // A file deleted is dropped from the cache.
    std::fs::remove_file(&files[4]).unwrap();
    let (manifests, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.files, stats.parsed), (4, 0));
    assert_eq!(manifests.files(), 4);
    assert_eq!(cache.len(), 4);
    assert!(!cache.contains(&files[4]));

    // A file added is parsed.
    dir.write("5.yaml", ingress_yaml("web-5"));
    let (manifests, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.files, stats.parsed), (5, 1));
    assert_eq!(manifests.ingresses()[4].id().name, "web-5");
    assert!(cache.contains(dir.path().join("5.yaml")));
}

#[cfg(unix)]
#[test]
fn settled_files_are_not_read_and_a_rewrite_keeping_size_and_mtime_is_seen() {
    let dir = ManifestDir::new();
    let files: Vec<_> = (0..5)
        .map(|n| dir.write(&format!("{n}.yaml"), ingress_yaml(&format!("web-{n}"))))
        .collect();
    let mut cache = ManifestCache::new();
    load_both(dir.path(), &mut cache);

    // File times are coarse: a fingerprint is trusted once the file's last
    // change is two seconds older than the read that took it.
    std::thread::sleep(Duration::from_millis(2100));
    let (_, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.rechecked, stats.parsed), (5, 0));
    let (_, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.reused, stats.parsed), (5, 0), "neither read nor parsed");

    // The fingerprint alone must notice this one (change time).
    rewrite_keeping_size_and_mtime(&files[1], &ingress_yaml("WEB-1"));
    let (manifests, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.reused, stats.parsed), (4, 1));
    assert_eq!(manifests.ingresses()[1].id().name, "WEB-1");
}

#[cfg(unix)]
#[test]
fn unreadable_files_give_the_errors_a_plain_load_gives_and_are_not_cached() {
    let dir = ManifestDir::new();
    for n in 0..3 {
        dir.write(&format!("{n}.yaml"), ingress_yaml(&format!("web-{n}")));
    }
    let mut cache = ManifestCache::new();
    load_both(dir.path(), &mut cache);

    // Replaced by a link to nothing.
    let file = dir.path().join("1.yaml");
    let target = dir.path().join(".elsewhere/1.yaml");
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&target, &file).unwrap();
    let (manifests, stats) = load_both(dir.path(), &mut cache);
    assert_eq!(ingress_names(&manifests), ["web-0", "web-2"]);
    let error = manifests.errors()[0].to_string();
    assert!(
        error.starts_with(&format!("{}: cannot read: ", file.display())),
        "{error}"
    );
    assert_eq!((stats.files, stats.parsed), (2, 0));
    assert!(!cache.contains(&file));

    // The link's target (in a hidden directory, not walked) appears:
    // parsed.
    dir.write(".elsewhere/1.yaml", ingress_yaml("back"));
    let (manifests, stats) = load_both(dir.path(), &mut cache);
    assert_eq!(stats.parsed, 1);
    assert_eq!(ingress_names(&manifests), ["web-0", "back", "web-2"]);

    // Not UTF-8: an error each time, never cached.
    dir.write("2.yaml", b"kind: caf\xe9\n");
    for _ in 0..2 {
        let (manifests, stats) = load_both(dir.path(), &mut cache);
        assert_eq!(
            manifests.errors()[0].to_string(),
            format!("{}:1: not UTF-8 text", dir.path().join("2.yaml").display())
        );
        assert_eq!((stats.unreadable, stats.parsed), (1, 0));
        assert!(!cache.contains(dir.path().join("2.yaml")));
    }

    // The path itself goes: the same error, and the cache is emptied.
    let missing = dir.path().join("missing");
    let cached = Manifests::load_cached(&missing, &mut cache).unwrap_err();
    let plain = Manifests::load(&missing).unwrap_err();
    assert_eq!(cached.to_string(), plain.to_string());
    assert!(cache.is_empty());
    assert_eq!(cache.last_load(), CacheStats::default());
}

#[test]
fn files_rewritten_with_the_same_bytes_are_not_parsed() {
    let dir = ManifestDir::new();
    let file = dir.write("a.yaml", web_service());
    dir.write("b.yaml", ingress_yaml("web"));
    let mut cache = ManifestCache::new();
    load_both(dir.path(), &mut cache);

    // touch
    let later = std::fs::metadata(&file).unwrap().modified().unwrap() + Duration::from_secs(60);
    File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (_, stats) = load_both(dir.path(), &mut cache);
    assert_eq!(stats.parsed, 0);

    // A copy renamed over it: another inode, the same bytes.
    let copy = dir.write("a.yaml.new", web_service());
    std::fs::rename(&copy, &file).unwrap();
    let (_, stats) = load_both(dir.path(), &mut cache);
    assert_eq!(stats.parsed, 0);
}

/// A ConfigMap mounted as a volume: kubelet writes every file anew into a
/// fresh directory and swaps the `..data` link; only the changed file is
/// parsed.
#[cfg(unix)]
#[test]
fn a_config_map_update_parses_the_changed_file_only() {
    use std::os::unix::fs::symlink;

    let dir = ManifestDir::new();
    let version = |name: &str, second: &str| {
        dir.write(&format!("{name}/a.yaml"), web_service());
        dir.write(&format!("{name}/b.yaml"), ingress_yaml(second));
        dir.write(&format!("{name}/c.yaml"), class_yaml());
    };
    version("..v1", "web");
    symlink("..v1", dir.path().join("..data")).unwrap();
    for file in ["a.yaml", "b.yaml", "c.yaml"] {
        symlink(format!("..data/{file}"), dir.path().join(file)).unwrap();
    }
    let mut cache = ManifestCache::new();
    let (_, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.files, stats.parsed), (3, 3));

    version("..v2", "api");
    symlink("..v2", dir.path().join("..data_tmp")).unwrap();
    std::fs::rename(dir.path().join("..data_tmp"), dir.path().join("..data")).unwrap();
    std::fs::remove_dir_all(dir.path().join("..v1")).unwrap();
    let (manifests, stats) = load_both(dir.path(), &mut cache);
    assert_eq!((stats.files, stats.parsed, stats.rechecked), (3, 1, 2));
    assert_eq!(ingress_names(&manifests), ["api"]);
}

#[test]
fn a_file_given_by_name_is_cached_too() {
    let dir = ManifestDir::new();
    let file = dir.write("notes.txt", format!("{}---\n{}", web_service(), ingress_yaml("web")));
    let mut cache = ManifestCache::new();
    let (_, stats) = load_both(&file, &mut cache);
    assert_eq!((stats.files, stats.parsed), (1, 1));
    let (manifests, stats) = load_both(&file, &mut cache);
    assert_eq!((stats.files, stats.parsed), (1, 0));
    assert_eq!(manifests.ingresses().len(), 1);
}

#[test]
fn the_cache_can_move_to_another_thread_and_its_debug_shows_no_secret() {
    fn send<T: Send + Sync>() {}
    send::<ManifestCache>();

    let dir = ManifestDir::new();
    dir.write("secret.yaml", secret_yaml("tls"));
    dir.write(
        "broken-secret.yaml",
        format!("{}  extra: [{SECRET_DATA}\n", secret_yaml("bad")),
    );
    let mut cache = ManifestCache::new();
    let manifests = std::thread::scope(|scope| scope.spawn(|| load_both(dir.path(), &mut cache).0).join().unwrap());
    assert_eq!(manifests.secrets().len(), 1);
    let shown = format!("{cache:?} {cache:#?} {manifests:?}");
    assert!(!shown.contains(SECRET_DATA), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    // A file with a broken document is cached like any other.
    assert!(shown.starts_with("ManifestCache { files: 2, "), "{shown}");
}
