//! `load_set`: everything a `check` command prints, from one directory.

mod common;

use common::*;
use ingress_core::IngressSet;
use ingress_core::set::Applied;
use ingress_kube::{ClassSelector, Format, Loaded, Manifests, load_set};
use ingress_test_support::{IngressClassYaml, IngressYaml, ManifestDir, documents, path, service_backend};

/// Our class, marked default, and another controller's.
fn classes() -> String {
    documents([
        IngressClassYaml::new("gateway", "ingress-rs.dev/ingress-gateway")
            .default_class()
            .to_yaml(),
        IngressClassYaml::new("nginx", "k8s.io/ingress-nginx").to_yaml(),
    ])
}

/// Ingress `name` of `class` (none: no class named): host `host`, Prefix
/// `prefix`, to Service `name` port 80.
fn ingress(name: &str, class: Option<&str>, host: &str, prefix: &str) -> String {
    let ingress = IngressYaml::new(name).rule(Some(host), [path("Prefix", prefix, service_backend(name, 80))]);
    match class {
        Some(class) => ingress.class(class),
        None => ingress,
    }
    .to_yaml()
}

#[test]
fn a_check_finds_everything_and_names_files() {
    let dir = ManifestDir::new();
    dir.write("classes.yaml", classes());
    dir.write("apps/shop.yaml", ingress("shop", None, "shop.example", "/"));
    dir.write("apps/blog.yaml", ingress("blog", Some("gateway"), "blog.example", "/"));
    dir.write(
        "apps/legacy.yaml",
        ingress("legacy", Some("nginx"), "legacy.example", "/"),
    );
    let broken = dir.write(
        "apps/broken.yaml",
        ingress("broken", None, "broken.example", "no-slash"),
    );
    dir.write(
        "apps/unparsable.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: [\n",
    );
    dir.write("z-copy.yaml", ingress("shop", None, "shop.example", "/v2"));

    let loaded = load_set(dir.path(), &ClassSelector::default()).unwrap();
    let manifests = loaded.manifests();
    assert_eq!(manifests.files(), 7);

    // Parse errors, duplicates, ignored Ingresses.
    let errors: Vec<_> = manifests.errors().iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with(&format!("{}:3:", dir.path().join("apps/unparsable.yaml").display())));
    assert_eq!(manifests.duplicates().len(), 1);
    assert!(manifests.duplicates()[0].kept.path.ends_with("z-copy.yaml"));
    let ignored: Vec<_> = loaded
        .ignored()
        .iter()
        .map(|i| (i.key.to_string(), i.reason.rule()))
        .collect();
    assert_eq!(ignored, [("default/legacy".to_owned(), "O3")]);

    // Our Ingresses, the rejected one included; its file is known.
    let names: Vec<_> = loaded.ingresses().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["blog", "broken", "shop"]);
    let table = compile(loaded.set());
    let [rejection] = table.report().diagnostics() else {
        panic!("{}", table.report())
    };
    assert_eq!(rejection.kind.rule(), "V8");
    let source = loaded.source_of(&rejection.object).unwrap();
    assert_eq!(
        (source.path.as_ref(), source.document, source.line),
        (broken.as_path(), 1, 1)
    );

    // The later definition of `shop` serves.
    assert_eq!(answer(&table, "shop.example", "/v2/x"), "default/shop:80");
    assert_eq!(answer(&table, "shop.example", "/x"), "404");
    assert_eq!(answer(&table, "blog.example", "/"), "default/blog:80");
    assert_eq!(answer(&table, "legacy.example", "/"), "404");
}

#[test]
fn a_missing_path_is_an_error() {
    let dir = ManifestDir::new();
    let error = load_set(dir.path().join("nothing-here"), &ClassSelector::default()).unwrap_err();
    assert!(error.to_string().contains("nothing-here: cannot read: "), "{error}");
}

/// V8 across reloads: the previous set keeps the last valid version when
/// the new manifests break an object.
#[test]
fn reloads_keep_the_last_valid_version() {
    let selector = ClassSelector::default().with_watch_without_class(true);
    let load = |path: &str| {
        let mut manifests = Manifests::new();
        manifests.add_text("web.yaml", Format::Yaml, &ingress("web", None, "web.example", path));
        Loaded::new(manifests, &selector)
    };
    let mut set = IngressSet::new();
    set.sync(load("/").ingresses());
    set.sync(load("broken").ingresses());
    let table = compile(&set);
    assert_eq!(answer(&table, "web.example", "/x"), "default/web:80");
    assert_eq!(
        set.apply(&load("broken").ingresses()[0]),
        Applied::Rejected { serving_previous: true }
    );
}
