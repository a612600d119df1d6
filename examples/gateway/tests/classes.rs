//! Class selection O1-O3 through the real binary.

// Helpers index JSON and unwrap: in a test, a failure is the test failing.
#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

mod common;

use common::*;

const THEIR_CLASS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: theirs}
spec: {controller: k8s.io/ingress-nginx}
"#;

const OUR_CLASS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: ours}
spec: {controller: ingress-rs.dev/ingress-gateway}
"#;

fn served(manifests: &Manifests, extra: &[&str]) -> bool {
    let request = serde_json::json!({"host": "a.example", "target": "/"});
    let answer = route(&manifests.dir, extra, &[request]).remove(0);
    answer["outcome"] == "routed"
}

fn with_ingress(classes: &[&str], class: Option<&str>, annotations: &str) -> Manifests {
    let spec = rules(Some("a.example"), &[("Prefix", "/", "web")]);
    let ingress = ingress("web", class, annotations, &spec);
    let mut files: Vec<(String, String)> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("class-{i}.yaml"), (*c).to_owned()))
        .collect();
    files.push(("ingress.yaml".to_owned(), ingress));
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    Manifests::new(&refs)
}

#[test]
fn o1_field_then_annotation_name_a_class_of_ours() {
    assert!(served(&with_ingress(&[OUR_CLASS], Some("ours"), ""), &[]));
    assert!(!served(&with_ingress(&[THEIR_CLASS], Some("theirs"), ""), &[]));
    let annotation = "  annotations:\n    kubernetes.io/ingress.class: ours\n";
    assert!(served(&with_ingress(&[OUR_CLASS], None, annotation), &[]));
    // The field wins over the annotation.
    let theirs_annotation = "  annotations:\n    kubernetes.io/ingress.class: theirs\n";
    assert!(served(
        &with_ingress(&[OUR_CLASS, THEIR_CLASS], Some("ours"), theirs_annotation),
        &[]
    ));
    assert!(!served(
        &with_ingress(&[OUR_CLASS, THEIR_CLASS], Some("theirs"), annotation),
        &[]
    ));
    // Another controller name makes `theirs` ours.
    assert!(served(
        &with_ingress(&[THEIR_CLASS], Some("theirs"), ""),
        &["--controller", "k8s.io/ingress-nginx"]
    ));
}

#[test]
fn o2_no_class_needs_our_default_class_or_the_option() {
    assert!(!served(&with_ingress(&[OUR_CLASS], None, ""), &[]));
    assert!(served(
        &with_ingress(&[OUR_CLASS], None, ""),
        &["--watch-without-class"]
    ));
    assert!(served(&with_ingress(&[OUR_DEFAULT_CLASS], None, ""), &[]));
    // Two default classes: the newest wins.
    let old_ours = OUR_DEFAULT_CLASS.replace(
        "name: ours\n",
        "name: ours\n  creationTimestamp: \"2020-01-01T00:00:00Z\"\n",
    );
    let new_theirs = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: theirs\n  creationTimestamp: \"2024-01-01T00:00:00Z\"\n  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}\nspec: {controller: k8s.io/ingress-nginx}\n";
    assert!(!served(&with_ingress(&[&old_ours, new_theirs], None, ""), &[]));
    let new_ours = OUR_DEFAULT_CLASS.replace(
        "name: ours\n",
        "name: ours\n  creationTimestamp: \"2025-01-01T00:00:00Z\"\n",
    );
    assert!(served(&with_ingress(&[&new_ours, new_theirs], None, ""), &[]));
}

#[test]
fn o3_other_controllers_ingresses_are_ignored_completely() {
    let manifests = with_ingress(&[THEIR_CLASS, OUR_DEFAULT_CLASS], Some("theirs"), "");
    assert!(!served(&manifests, &[]));
    let output = gateway(&["check", "--manifests", manifests.dir.to_str().unwrap()], "");
    // Ignored is not rejected: exit 0, and said why.
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output).contains("Ingress default/web ignored: spec.ingressClassName names class \"theirs\" of controller \"k8s.io/ingress-nginx\" [O3]"));
}
