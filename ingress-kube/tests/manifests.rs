//! Manifest documents: YAML streams, Lists, JSON, errors that name file,
//! document and line, skipped kinds.

mod common;

use common::*;
use ingress_kube::{ManifestError, Manifests};
use ingress_test_support::ManifestDir;

#[test]
fn a_broken_document_in_the_middle_spares_the_others() {
    let text = format!(
        "{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: [broken\n---\n{}",
        web_service(),
        ingress_yaml("after")
    );
    let manifests = from_yaml(&text);
    assert_eq!(manifests.services().len(), 1);
    assert_eq!(ingress_names(&manifests), ["after"]);
    assert_eq!(manifests.ingresses()[0].source.document, 3);
    assert_eq!(manifests.ingresses()[0].source.line, 14);

    let [error] = manifests.errors() else {
        panic!("{:?}", manifests.errors())
    };
    let ManifestError::Document {
        path, document, line, ..
    } = error
    else {
        panic!("{error}")
    };
    assert_eq!((path.to_str(), *document, *line), (Some("test.yaml"), 2, 12));
    assert_eq!(error.to_string(), "test.yaml:12:9: document 2: unclosed bracket '['");
}

#[test]
fn type_errors_point_at_the_value() {
    let text = format!(
        "{}---\n{}",
        web_service(),
        ingress_yaml("bad").replace("number: 80", "number: eighty")
    );
    let manifests = from_yaml(&text);
    assert_eq!(manifests.services().len(), 1);
    let errors = document_errors(&manifests);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (document, line, column, message) = &errors[0];
    assert_eq!(
        (*document, *line, *column, message.as_str()),
        (2, 18, Some(17), "invalid i32")
    );
    assert_eq!(
        manifests.errors()[0].to_string(),
        "test.yaml:18:17: document 2: invalid i32"
    );
}

#[test]
fn list_items_keep_their_index_and_line() {
    let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: { name: one }
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: settings }
- apiVersion: v1
  kind: Service
  metadata: { name: two }
  spec: { ports: [{ port: 80 }] }
";
    let manifests = from_yaml(text);
    let found: Vec<_> = manifests
        .services()
        .iter()
        .map(|s| (s.id().name, s.source.line, s.source.item))
        .collect();
    assert_eq!(found, [("one".to_owned(), 4, Some(0)), ("two".to_owned(), 10, Some(2))]);
    assert_eq!(
        manifests.skipped()[0].source.to_string(),
        "test.yaml:7 (document 1, items[1])"
    );

    // A broken item fails its List, and says which item.
    let manifests = from_yaml(&text.replace("port: 80", "port: http"));
    assert!(manifests.services().is_empty());
    let errors = document_errors(&manifests);
    let (document, line, _, message) = &errors[0];
    assert_eq!((*document, *line), (1, 13));
    assert!(message.starts_with("items[2]: "), "{message}");
}

#[test]
fn typed_lists_give_their_items_a_kind() {
    let text = "\
apiVersion: networking.k8s.io/v1
kind: IngressList
metadata: { resourceVersion: \"12\" }
items:
- metadata: { name: a }
  spec: { defaultBackend: { service: { name: web, port: { number: 80 } } } }
- metadata: { name: b, namespace: shop }
";
    let manifests = from_yaml(text);
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    let ids: Vec<_> = manifests.ingresses().iter().map(|i| i.id().to_string()).collect();
    assert_eq!(ids, ["Ingress default/a", "Ingress shop/b"]);
}

#[test]
fn empty_and_comment_documents_are_skipped_but_counted() {
    let text = format!(
        "# header\n---\n# only a comment\n---\n---\n~\n---\n{}---\n\n# trailing\n",
        web_service()
    );
    let manifests = from_yaml(&text);
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    let [service] = manifests.services() else { panic!() };
    assert_eq!((service.source.document, service.source.line), (4, 8));
    assert!(manifests.skipped().is_empty());
    assert!(from_yaml("").services().is_empty());
    assert!(from_yaml("# nothing here\n").errors().is_empty());
}

#[test]
fn documents_that_are_not_objects_are_errors() {
    let cases = [
        ("just a string\n", "expected mapping start"),
        ("metadata: { name: x }\n", "`apiVersion` is missing"),
        ("apiVersion: v1\nmetadata: { name: x }\n", "`kind` is missing"),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {}\n",
            "metadata.name is missing",
        ),
        (
            "apiVersion: v1\nkind: List\nitems:\n- kind: Service\n  metadata: { name: x }\n",
            "items[0]: not a Kubernetes object: `apiVersion` is missing",
        ),
    ];
    for (text, expected) in cases {
        let manifests = from_yaml(&format!("{text}---\n{}", web_service()));
        assert_eq!(manifests.services().len(), 1, "{text}");
        let errors = document_errors(&manifests);
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        assert_eq!(errors[0].0, 1);
        assert!(errors[0].3.contains(expected), "{text}: {}", errors[0].3);
    }
}

/// T3: a Secret's parse error gives its position, not the parser's message.
#[test]
fn secret_parse_errors_do_not_quote_the_data() {
    // The Kubernetes docs' own example, with placeholders for the data.
    let secret = "\
apiVersion: v1
kind: Secret
metadata:
  name: testsecret-tls
  namespace: default
data:
  tls.crt: base64 encoded cert
  tls.key: base64 encoded key
type: kubernetes.io/tls
";
    let in_list = format!(
        "apiVersion: v1\nkind: List\nitems:\n- {}",
        secret.trim_end().replace('\n', "\n  ")
    );
    // Broken YAML: the kind is not known, but the document may be a Secret.
    let unparsable = "apiVersion: v1\nkind: Secret\nmetadata: { name: s }\ndata:\n  tls.key: \"sec\\qret\"\n";
    let cases = [
        (secret, 7, ""),
        (in_list.as_str(), 10, "items[0]: "),
        (unparsable, 5, ""),
    ];
    for (text, line, prefix) in cases {
        let manifests = from_yaml(text);
        assert!(manifests.secrets().is_empty());
        let errors = document_errors(&manifests);
        let (_, error_line, _, message) = &errors[0];
        assert_eq!(*error_line, line, "{text}");
        assert_eq!(
            message,
            &format!(
                "{prefix}the Secret could not be read (the parser's message is withheld: it may quote Secret data)"
            )
        );
        let shown = manifests.errors()[0].to_string();
        assert!(
            !shown.contains("encoded") && !shown.contains("symbol") && !shown.contains("qret"),
            "{shown}"
        );
    }
}

#[test]
fn unknown_kinds_are_skipped_and_counted() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: { name: old }
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: { name: old }
---
apiVersion: example.com/v1
kind: Widget
metadata: { name: w }
spec: { anything: [1, 2, { goes: here }] }
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: List
  items: []
";
    let manifests = from_yaml(text);
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    assert!(manifests.ingresses().is_empty());
    let skipped: Vec<_> = manifests
        .skipped()
        .iter()
        .map(|s| format!("{} {} {}", s.api_version, s.kind, s.source.document))
        .collect();
    assert_eq!(
        skipped,
        [
            "apps/v1 Deployment 1",
            "extensions/v1beta1 Ingress 2",
            "networking.k8s.io/v1beta1 Ingress 3",
            "example.com/v1 Widget 4",
            "v1 List 5",
        ]
    );
    assert_eq!(
        manifests.skipped()[0].to_string(),
        "test.yaml:1 (document 1): skipped apps/v1 Deployment"
    );
}

#[test]
fn json_files_one_value_or_many() {
    let dir = ManifestDir::new();
    dir.write(
        "one.json",
        r#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "one"}}"#,
    );
    dir.write(
        "stream.json",
        concat!(
            "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"two\"}}\n",
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n",
            "  {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"three\"}}\n",
            "]}\n",
            "  {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"four\", \"labels\": {\"a\": 1}}}\n",
            "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"five\"}}\n",
            "{\"apiVersion\": broken}\n",
        ),
    );
    let manifests = Manifests::load(dir.path()).unwrap();
    assert_eq!(manifests.files(), 2);
    let found: Vec<_> = manifests
        .services()
        .iter()
        .map(|s| (s.id().name, s.source.document, s.source.line))
        .collect();
    assert_eq!(
        found,
        [
            ("one".to_owned(), 1, 1),
            ("two".to_owned(), 1, 1),
            ("three".to_owned(), 2, 2),
            ("five".to_owned(), 4, 6)
        ]
    );
    // JSON is strict: a number is no label value. The position is the
    // file's, though the document starts mid-line.
    let errors = document_errors(&manifests);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1, errors[0].2), (3, 5, Some(88)));
    assert!(errors[0].3.contains("expected a string"), "{}", errors[0].3);
    assert!(!errors[0].3.contains("line"), "{}", errors[0].3);
    // A syntax error ends the file.
    assert_eq!((errors[1].0, errors[1].1), (5, 7));
}

#[test]
fn a_byte_order_mark_and_crlf_are_read() {
    let manifests = from_yaml(&format!("\u{feff}{}", web_service().replace('\n', "\r\n")));
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    assert_eq!(manifests.services().len(), 1);
}
