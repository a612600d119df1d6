//! Manifest files and directories: the walk, files that cannot be read,
//! and objects defined twice.

mod common;

use common::*;
use ingress_kube::{Format, ManifestError, Manifests};
use ingress_test_support::{IngressYaml, ManifestDir, service_backend};

#[test]
fn directories_are_walked_recursively_in_sorted_order() {
    let dir = ManifestDir::new();
    dir.write("b.yaml", ingress_yaml("b"));
    dir.write("a/z.yml", ingress_yaml("a-z"));
    dir.write("a/deeper/still/x.yaml", ingress_yaml("a-deeper-x"));
    dir.write(
        "a.json",
        r#"{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "a-json"}}"#,
    );
    dir.write("c/README.md", "# not a manifest\n");
    dir.write("c/notes.txt", "kind: [not read\n");
    dir.write(".hidden.yaml", ingress_yaml("hidden"));
    dir.write(".git/config.yaml", ingress_yaml("git"));
    dir.write("c/.hidden/x.yaml", ingress_yaml("hidden-dir"));

    let manifests = Manifests::load(dir.path()).unwrap();
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    assert_eq!(manifests.files(), 4);
    assert_eq!(ingress_names(&manifests), ["a-deeper-x", "a-z", "a-json", "b"]);
    assert!(manifests.ingresses()[0].source.path.ends_with("a/deeper/still/x.yaml"));

    // A file is read whatever its name.
    let manifests = Manifests::load(dir.path().join("c/notes.txt")).unwrap();
    assert_eq!(document_errors(&manifests).len(), 1);
}

#[test]
fn non_utf8_and_unreadable_files_are_errors_that_name_them() {
    let dir = ManifestDir::new();
    dir.write("good.yaml", web_service());
    let latin1 = dir.write(
        "latin1.yaml",
        b"apiVersion: v1\nkind: ConfigMap\ndata:\n  name: caf\xe9\n",
    );
    let missing = dir.path().join("missing.yaml");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&missing, dir.path().join("dangling.yaml")).unwrap();

    let manifests = Manifests::load(dir.path()).unwrap();
    assert_eq!(manifests.services().len(), 1);
    let shown: Vec<_> = manifests.errors().iter().map(ToString::to_string).collect();
    assert!(
        shown.contains(&format!("{}:4: not UTF-8 text", latin1.display())),
        "{shown:?}"
    );
    #[cfg(unix)]
    {
        let dangling = dir.path().join("dangling.yaml");
        let error = manifests
            .errors()
            .iter()
            .find(|e| e.path() == dangling)
            .expect("the dangling link");
        assert!(matches!(error, ManifestError::Read { .. }), "{error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("{}: cannot read: ", dangling.display()))
        );
    }

    // A file that cannot be read at all, given by name.
    let mut manifests = Manifests::new();
    manifests.add_file(&missing, Format::Yaml);
    assert!(matches!(&manifests.errors()[0], ManifestError::Read { path, .. } if **path == *missing));

    // The path given does not exist: loading fails.
    let error = Manifests::load(&missing).unwrap_err();
    assert_eq!(error.path(), missing);
    assert!(std::error::Error::source(&error).is_some());
}

#[cfg(unix)]
#[test]
fn symbolic_link_loops_end() {
    let dir = ManifestDir::new();
    dir.write("sub/web.yaml", web_service());
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/again")).unwrap();
    let manifests = Manifests::load(dir.path()).unwrap();
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    assert_eq!(manifests.services().len(), 1);
}

#[test]
fn duplicates_keep_the_later_definition_and_name_both() {
    let dir = ManifestDir::new();
    let first = dir.write("a.yaml", format!("{}---\n{}", ingress_yaml("web"), ingress_yaml("api")));
    let second = dir.write(
        "b.yaml",
        format!(
            "{}---\n{}---\n{}",
            web_backend_ingress("web", 80).namespace("default").to_yaml(),
            web_backend_ingress("api", 8080).to_yaml(),
            web_backend_ingress("api", 9090).to_yaml(),
        ),
    );
    // Not duplicates: the same name in another namespace, or of another kind.
    dir.write(
        "c.yaml",
        format!(
            "{}---\n{}",
            web_backend_ingress("web", 80).namespace("shop").to_yaml(),
            web_service()
        ),
    );

    let manifests = Manifests::load(dir.path()).unwrap();
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    let ids: Vec<_> = manifests.ingresses().iter().map(|i| i.id().to_string()).collect();
    assert_eq!(ids, ["Ingress default/web", "Ingress default/api", "Ingress shop/web"]);
    // The kept definition is the last one, in the first one's place.
    let api = &manifests.ingresses()[1];
    assert_eq!((api.source.path.as_ref(), api.source.document), (second.as_path(), 3));
    let port = api.object.spec.as_ref().unwrap().default_backend.as_ref().unwrap();
    assert_eq!(port.service.as_ref().unwrap().port.as_ref().unwrap().number, Some(9090));

    let found: Vec<_> = manifests
        .duplicates()
        .iter()
        .map(|d| (d.object.to_string(), d.dropped.document, d.kept.document))
        .collect();
    assert_eq!(
        found,
        [
            ("Ingress default/web".to_owned(), 1, 1),
            ("Ingress default/api".to_owned(), 2, 2),
            ("Ingress default/api".to_owned(), 2, 3),
        ]
    );
    assert_eq!(
        manifests.duplicates()[0].to_string(),
        format!(
            "{}:1 (document 1): Ingress default/web is defined again at {}:1 (document 1); the later definition is used",
            first.display(),
            second.display()
        )
    );
}

/// Ingress `name` whose default backend is Service `web` at `port`.
fn web_backend_ingress(name: &str, port: u16) -> IngressYaml {
    IngressYaml::new(name).default_backend(service_backend("web", port))
}
