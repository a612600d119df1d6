//! O1-O3: which Ingresses are ours.

// The helpers fill in `serde_json::Value`s they built themselves, which
// cannot fail.
#![allow(clippy::indexing_slicing)]

mod common;

use common::*;
use ingress_kube::{
    ClassSelector, ClassSource, DEFAULT_CONTROLLER, Format, IngressClasses, Loaded, Manifests, NotOurs, Ours, Selection,
};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde_json::json;

const NGINX: &str = "k8s.io/ingress-nginx";

/// An IngressClass; `default` is the value of the is-default-class
/// annotation, `created` the creation time.
fn class(name: &str, controller: Option<&str>, default: Option<&str>, created: Option<String>) -> IngressClass {
    let mut metadata = json!({ "name": name });
    if let Some(value) = default {
        metadata["annotations"] = json!({ "ingressclass.kubernetes.io/is-default-class": value });
    }
    if let Some(created) = created {
        metadata["creationTimestamp"] = json!(created);
    }
    let spec = controller.map_or_else(|| json!({}), |controller| json!({ "controller": controller }));
    ingress_class(json!({ "metadata": metadata, "spec": spec }))
}

/// Our class `gateway`, nginx's class `nginx`, and `orphan`, which names
/// no controller; none of them default.
fn classes() -> IngressClasses {
    let classes = [
        class("gateway", Some(DEFAULT_CONTROLLER), None, None),
        class("nginx", Some(NGINX), None, None),
        class("orphan", None, None, None),
    ];
    classes.iter().collect()
}

/// An Ingress with the given `spec.ingressClassName` and legacy annotation.
fn named(field: Option<&str>, annotation: Option<&str>) -> Ingress {
    let mut value = json!({
        "metadata": { "name": "web", "namespace": "shop" },
        "spec": { "defaultBackend": { "service": { "name": "web", "port": { "number": 80 } } } }
    });
    if let Some(field) = field {
        value["spec"]["ingressClassName"] = json!(field);
    }
    if let Some(annotation) = annotation {
        value["metadata"]["annotations"] = json!({ "kubernetes.io/ingress.class": annotation });
    }
    ingress(value)
}

/// Ours by name (O1).
fn ours(class: &str, via: ClassSource) -> Selection {
    Selection::Ours(Ours::Named {
        class: class.to_owned(),
        via,
    })
}

/// Another controller's class (O3); the controllers are those of
/// [`classes`].
fn theirs(class: &str, via: ClassSource) -> Selection {
    let controller = match class {
        "gateway" => DEFAULT_CONTROLLER,
        "nginx" => NGINX,
        _ => "",
    };
    Selection::NotOurs(NotOurs::OtherController {
        class: class.to_owned(),
        controller: controller.to_owned(),
        via,
    })
}

fn unknown(class: &str, via: ClassSource) -> Selection {
    Selection::NotOurs(NotOurs::UnknownClass {
        class: class.to_owned(),
        via,
    })
}

#[test]
fn o1_field_first_then_annotation() {
    use ClassSource::{Annotation, Field};
    let cases = [
        ("field", Some("gateway"), None, ours("gateway", Field)),
        ("annotation", None, Some("gateway"), ours("gateway", Annotation)),
        ("field first", Some("nginx"), Some("gateway"), theirs("nginx", Field)),
        (
            "field first, ours",
            Some("gateway"),
            Some("nginx"),
            ours("gateway", Field),
        ),
        (
            "empty field is unset",
            Some(""),
            Some("gateway"),
            ours("gateway", Annotation),
        ),
        ("field, another's", Some("nginx"), None, theirs("nginx", Field)),
        (
            "annotation, another's",
            None,
            Some("nginx"),
            theirs("nginx", Annotation),
        ),
        ("no controller", Some("orphan"), None, theirs("orphan", Field)),
        ("unknown by field", Some("missing"), None, unknown("missing", Field)),
        (
            "unknown by annotation",
            None,
            Some("missing"),
            unknown("missing", Annotation),
        ),
        (
            "looked up exactly",
            None,
            Some("Gateway"),
            unknown("Gateway", Annotation),
        ),
    ];
    let selector = ClassSelector::default();
    for (name, field, annotation, expected) in cases {
        let selection = selector.select(&named(field, annotation), &classes());
        assert_eq!(selection, expected, "{name}");
    }
}

#[test]
fn o1_the_controller_name_is_configurable() {
    let selector = ClassSelector::new(NGINX);
    assert_eq!(selector.controller(), NGINX);
    let cases = [
        (Some("nginx"), ours("nginx", ClassSource::Field)),
        (Some("gateway"), theirs("gateway", ClassSource::Field)),
    ];
    for (field, expected) in cases {
        assert_eq!(selector.select(&named(field, None), &classes()), expected);
    }
    assert_eq!(ClassSelector::default().controller(), "ingress-rs.dev/ingress-gateway");
}

#[test]
fn o1_reasons_are_explained() {
    let selector = ClassSelector::default();
    let cases = [
        (
            Some("gateway"),
            None,
            r#"ours: spec.ingressClassName names our class "gateway""#,
            "O1",
        ),
        (
            None,
            Some("nginx"),
            r#"not ours: annotation kubernetes.io/ingress.class names class "nginx" of controller "k8s.io/ingress-nginx""#,
            "O3",
        ),
        (
            Some("orphan"),
            None,
            r#"not ours: spec.ingressClassName names class "orphan", which names no controller"#,
            "O3",
        ),
        (
            Some("missing"),
            None,
            r#"not ours: spec.ingressClassName names class "missing", which does not exist"#,
            "O1",
        ),
    ];
    for (field, annotation, text, rule) in cases {
        let selection = selector.select(&named(field, annotation), &classes());
        assert_eq!(selection.to_string(), text);
        assert_eq!(selection.rule(), rule, "{text}");
    }
}

#[test]
fn o2_no_class_needs_our_default_class_or_the_option() {
    let gateway = |default| class("gateway", Some(DEFAULT_CONTROLLER), default, None);
    let nginx = |default| class("nginx", Some(NGINX), default, None);
    let theirs_default = Selection::NotOurs(NotOurs::DefaultClassNotOurs {
        class: "nginx".into(),
        controller: NGINX.into(),
    });
    let ours_default = Selection::Ours(Ours::DefaultClass {
        class: "gateway".into(),
    });
    let no_class = Selection::NotOurs(NotOurs::NoClass);
    let without = Selection::Ours(Ours::WithoutClass);
    let cases = [
        ("no default", vec![gateway(None), nginx(None)], false, &no_class),
        ("no default, option", vec![gateway(None)], true, &without),
        ("no classes, option", vec![], true, &without),
        (
            "ours default",
            vec![gateway(Some("true")), nginx(None)],
            false,
            &ours_default,
        ),
        ("ours default, option", vec![gateway(Some("true"))], true, &ours_default),
        (
            "theirs default",
            vec![gateway(None), nginx(Some("true"))],
            false,
            &theirs_default,
        ),
        ("theirs default, option", vec![nginx(Some("true"))], true, &without),
        ("only \"true\"", vec![gateway(Some("True"))], false, &no_class),
        ("not \"yes\"", vec![gateway(Some("yes"))], false, &no_class),
        ("not \"false\"", vec![gateway(Some("false"))], false, &no_class),
    ];
    for (name, known, watch, expected) in cases {
        let selector = ClassSelector::default().with_watch_without_class(watch);
        let classes: IngressClasses = known.iter().collect();
        assert_eq!(&selector.select(&named(None, None), &classes), expected, "{name}");
        assert_eq!(expected.rule(), "O2", "{name}");
    }
}

#[test]
fn o2_the_newest_default_class_wins_then_the_smallest_name() {
    let our_class = |name, created| class(name, Some(DEFAULT_CONTROLLER), Some("true"), created);
    let their_class = |name, created| class(name, Some(NGINX), Some("true"), created);
    let day = |d: u8| Some(format!("2024-01-0{d}T00:00:00Z"));
    let cases = [
        (
            "ours newer",
            vec![our_class("gw", day(2)), their_class("nx", day(1))],
            "gw",
            true,
        ),
        (
            "theirs newer",
            vec![our_class("gw", day(1)), their_class("nx", day(2))],
            "nx",
            false,
        ),
        (
            "same time, smaller name",
            vec![our_class("b", day(1)), their_class("a", day(1))],
            "a",
            false,
        ),
        (
            "same time, smaller name is ours",
            vec![our_class("a", day(1)), their_class("b", day(1))],
            "a",
            true,
        ),
        (
            "no timestamp counts as newest",
            vec![our_class("gw", None), their_class("nx", day(9))],
            "gw",
            true,
        ),
        (
            "two without timestamp, smaller name",
            vec![our_class("z", None), their_class("y", None)],
            "y",
            false,
        ),
        (
            "order does not matter",
            vec![their_class("nx", day(1)), our_class("gw", day(2))],
            "gw",
            true,
        ),
    ];
    for (name, known, winner, is_ours) in cases {
        let classes: IngressClasses = known.iter().collect();
        assert_eq!(classes.default_class(), Some(winner), "{name}");
        let selection = ClassSelector::default().select(&named(None, None), &classes);
        assert_eq!(selection.is_ours(), is_ours, "{name}: {selection}");
    }
}

#[test]
fn o2_a_default_class_does_not_claim_ingresses_that_name_a_class() {
    let known = [
        class("gateway", Some(DEFAULT_CONTROLLER), Some("true"), None),
        class("nginx", Some(NGINX), None, None),
    ];
    let classes: IngressClasses = known.iter().collect();
    let selector = ClassSelector::default().with_watch_without_class(true);
    let cases = [
        (Some("nginx"), None, theirs("nginx", ClassSource::Field)),
        (None, Some("nginx"), theirs("nginx", ClassSource::Annotation)),
        (Some("missing"), None, unknown("missing", ClassSource::Field)),
    ];
    for (field, annotation, expected) in cases {
        assert_eq!(selector.select(&named(field, annotation), &classes), expected);
    }
}

#[test]
fn o3_other_controllers_ingresses_are_ignored_completely() {
    // nginx's Ingress is broken on purpose: being ignored, it is not even
    // validated, so the build report says nothing about it.
    let yaml = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: nginx }
spec: { controller: k8s.io/ingress-nginx }
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: gateway }
spec: { controller: ingress-rs.dev/ingress-gateway }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: theirs }
spec:
  ingressClassName: nginx
  rules:
  - host: Not..Valid
    http: { paths: [{ path: relative, pathType: Bogus, backend: { service: { name: web, port: { number: 80 } } } }] }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: mine }
spec:
  ingressClassName: gateway
  rules:
  - host: shop.example
    http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: shop, port: { number: 80 } } } }] }
"#;
    let mut manifests = Manifests::new();
    manifests.add_text("classes.yaml", Format::Yaml, yaml);
    let loaded = Loaded::new(manifests, &ClassSelector::default());
    assert_eq!(loaded.set().len(), 1);
    assert_eq!(loaded.ingresses().len(), 1);
    assert_eq!(loaded.ingresses()[0].name, "mine");
    let table = compile(loaded.set());
    assert!(table.report().is_empty(), "{}", table.report());
    assert_eq!(answer(&table, "shop.example", "/"), "default/shop:80");

    let [ignored] = loaded.ignored() else {
        panic!("{:?}", loaded.ignored())
    };
    assert_eq!(ignored.key.to_string(), "default/theirs");
    assert_eq!(ignored.reason.rule(), "O3");
    assert_eq!(
        ignored.to_string(),
        r#"classes.yaml:12 (document 3): Ingress default/theirs ignored: spec.ingressClassName names class "nginx" of controller "k8s.io/ingress-nginx" [O3]"#
    );
    // Its source is still known, for diagnostics.
    assert_eq!(loaded.source_of(&ignored.key), Some(&ignored.source));
}
