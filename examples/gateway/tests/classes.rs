//! Class selection O1-O3 through the real binary.

// Helpers index JSON and unwrap: in a test, a failure is the test failing.
#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

mod support;

use support::*;

/// Another controller's class, `theirs`.
fn their_class() -> IngressClassYaml {
    IngressClassYaml::new("theirs", "k8s.io/ingress-nginx")
}

/// Our class, `ours`, not marked default.
fn our_class() -> IngressClassYaml {
    IngressClassYaml::new("ours", CONTROLLER)
}

fn served(manifests: &ManifestDir, extra: &[&str]) -> bool {
    let request = serde_json::json!({"host": "a.example", "target": "/"});
    let answer = route(manifests.path(), extra, &[request]).remove(0);
    answer["outcome"] == "routed"
}

/// The `classes`, one file each, and Ingress `web` for a.example naming
/// `class` (or none) and carrying the `kubernetes.io/ingress.class`
/// annotation `annotation` (or none).
fn with_ingress(classes: &[IngressClassYaml], class: Option<&str>, annotation: Option<&str>) -> ManifestDir {
    let mut ingress =
        IngressYaml::new("web").rule(Some("a.example"), [path("Prefix", "/", service_backend("web", 80))]);
    if let Some(class) = class {
        ingress = ingress.class(class);
    }
    if let Some(annotation) = annotation {
        ingress = ingress.annotation("kubernetes.io/ingress.class", annotation);
    }
    let dir = ManifestDir::new();
    for (i, class) in classes.iter().enumerate() {
        dir.write(&format!("class-{i}.yaml"), class.to_yaml());
    }
    dir.write("ingress.yaml", ingress.to_yaml());
    dir
}

#[test]
fn o1_field_then_annotation_name_a_class_of_ours() {
    assert!(served(&with_ingress(&[our_class()], Some("ours"), None), &[]));
    assert!(!served(&with_ingress(&[their_class()], Some("theirs"), None), &[]));
    assert!(served(&with_ingress(&[our_class()], None, Some("ours")), &[]));
    // The field wins over the annotation.
    assert!(served(
        &with_ingress(&[our_class(), their_class()], Some("ours"), Some("theirs")),
        &[]
    ));
    assert!(!served(
        &with_ingress(&[our_class(), their_class()], Some("theirs"), Some("ours")),
        &[]
    ));
    // Another controller name makes `theirs` ours.
    assert!(served(
        &with_ingress(&[their_class()], Some("theirs"), None),
        &["--controller", "k8s.io/ingress-nginx"]
    ));
}

#[test]
fn o2_no_class_needs_our_default_class_or_the_option() {
    assert!(!served(&with_ingress(&[our_class()], None, None), &[]));
    assert!(served(
        &with_ingress(&[our_class()], None, None),
        &["--watch-without-class"]
    ));
    assert!(served(&with_ingress(&[our_class().default_class()], None, None), &[]));
    // Two default classes: the newest wins.
    let old_ours = our_class().default_class().created("2020-01-01T00:00:00Z");
    let new_theirs = their_class().default_class().created("2024-01-01T00:00:00Z");
    assert!(!served(&with_ingress(&[old_ours, new_theirs.clone()], None, None), &[]));
    let new_ours = our_class().default_class().created("2025-01-01T00:00:00Z");
    assert!(served(&with_ingress(&[new_ours, new_theirs], None, None), &[]));
}

#[test]
fn o3_other_controllers_ingresses_are_ignored_completely() {
    let manifests = with_ingress(&[their_class(), our_class().default_class()], Some("theirs"), None);
    assert!(!served(&manifests, &[]));
    let output = run(&["check", "--manifests", manifests.path().to_str().unwrap()], "");
    // Ignored is not rejected: exit 0, and said why.
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output).contains("Ingress default/web ignored: spec.ingressClassName names class \"theirs\" of controller \"k8s.io/ingress-nginx\" [O3]"));
}
