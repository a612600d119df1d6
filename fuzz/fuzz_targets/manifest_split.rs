//! `ingress-kube`'s manifest splitter on arbitrary text, YAML and JSON,
//! against serde-saphyr and serde_json.
//!
//! The input is valid UTF-8 only (the loader refuses other files before it
//! splits), with a leading byte order mark stripped as the loader does.
//!
//! YAML, on every input: no panic; documents numbered 1, 2, ...; each text
//! a piece of the input starting and ending at line boundaries, in order,
//! without overlap, with its first line and content line counted right;
//! between and after the pieces, only blank lines, comments, directives
//! and `...` markers. Whenever serde-saphyr reads the input as a
//! multi-document stream, serde-saphyr reading each piece alone agrees:
//! a piece without content holds no document, a piece with content holds
//! exactly one, and those documents, in order, are the stream's.
//!
//! Readings where the two legitimately differ, and how this target takes
//! them:
//! - serde-saphyr skips documents that are null (`~`, `null`, a lone
//!   comment after `---`); the splitter counts every document with
//!   content. Such a piece must read alone as null, which the loader turns
//!   into no object, and is left out of the comparison.
//!
//! JSON, on every input: the values are pieces of the input in order, at
//! the line and column given, each read alone by serde_json as the stream
//! reads it; a syntax error is reported exactly when the stream has one.
#![no_main]

use ingress_core_fuzz::yaml::{
    at_yaml_line_start, position, range_in, read_document, read_stream, yaml_line, yaml_lines,
};
use ingress_kube::fuzzing::{Document, json_documents, yaml_documents};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_yaml(text);
    check_json(text);
});

fn check_yaml(text: &str) {
    let documents = yaml_documents(text);
    check_pieces(text, &documents);
    let Some(stream) = read_stream(text) else {
        return;
    };
    let mut alone = Vec::new();
    for document in &documents {
        let Some(values) = read_stream(document.text) else {
            panic!("document {document:?} of {text:?} does not read alone; the stream reads as {stream:?}")
        };
        match (document.content_line, values.len()) {
            (None, 0) => {}
            (None, _) => panic!("empty document {document:?} of {text:?} reads as {values:?}"),
            (Some(_), 0) => {
                let value = read_document(document.text);
                assert!(
                    matches!(value, Ok(Value::Null)),
                    "document {document:?} of {text:?} reads alone as no document but as one value {value:?}"
                );
            }
            (Some(_), 1) => alone.extend(values),
            (Some(_), _) => panic!("document {document:?} of {text:?} holds several: {values:?}"),
        }
    }
    assert_eq!(
        alone, stream,
        "documents read alone differ from the stream {text:?}: {documents:?}"
    );
}

/// The documents are pieces of `text`, in order, cut at line boundaries
/// and numbered right, with only comments and such between them.
fn check_pieces(text: &str, documents: &[Document<'_>]) {
    let mut end = 0;
    for (index, document) in documents.iter().enumerate() {
        let context = format!("document {document:?} of {text:?}");
        assert_eq!(document.number, index + 1, "{context}");
        let range = range_in(text, document.text).unwrap_or_else(|| panic!("{context}: not a piece of the input"));
        assert!(range.start >= end, "{context}: overlaps the one before");
        assert!(!document.text.is_empty(), "{context}: empty text");
        assert!(at_yaml_line_start(text, range.start), "{context}: starts inside a line");
        assert!(
            at_yaml_line_start(text, range.end) || range.end == text.len(),
            "{context}: ends inside a line"
        );
        assert_eq!(document.line, yaml_line(text, range.start), "{context}: wrong line");
        assert_eq!(document.column, 1, "{context}: wrong column");
        if let Some(content) = document.content_line {
            let own_lines = yaml_line(document.text, document.text.len()) - 1;
            let last = document.line + own_lines - usize::from(document.text.ends_with(['\n', '\r']));
            assert!(
                (document.line..=last).contains(&content),
                "{context}: content line outside"
            );
        }
        let gap = text.get(end..range.start).unwrap_or_default();
        assert!(
            nothing_between(gap),
            "{context}: {gap:?} before it belongs to no document"
        );
        end = range.end;
    }
    let rest = text.get(end..).unwrap_or_default();
    assert!(
        nothing_between(rest),
        "{rest:?} after the last document of {text:?} belongs to none"
    );
}

/// Whether `text` holds only blank lines, comments, directives and
/// document end markers.
fn nothing_between(text: &str) -> bool {
    yaml_lines(text).all(|line| {
        let trimmed = line.trim_start_matches([' ', '\t']);
        trimmed.is_empty() || trimmed.starts_with('#') || line.starts_with('%') || line.starts_with("...")
    })
}

fn check_json(text: &str) {
    let (documents, error) = json_documents(text);
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    // serde_json reads some values only to skip them (numbers out of the
    // f64 range): from the first piece that fails alone, which the stream
    // of values fails on too, there is nothing more to compare.
    let mut values = Some(serde_json::Deserializer::from_str(text).into_iter::<Value>());
    let mut end = 0;
    for (index, document) in documents.iter().enumerate() {
        let context = format!("JSON document {document:?} of {text:?}");
        assert_eq!(document.number, index + 1, "{context}");
        assert!(
            matches!(stream.next(), Some(Ok(_))),
            "{context}: not a value of the stream"
        );
        let range = range_in(text, document.text).unwrap_or_else(|| panic!("{context}: not a piece of the input"));
        assert!(range.start >= end, "{context}: overlaps the one before");
        assert!(
            text.get(end..range.start).is_some_and(|gap| gap.trim().is_empty()),
            "{context}: more than white space before it"
        );
        assert_eq!(
            (document.line, document.column),
            position(text, range.start),
            "{context}: wrong position"
        );
        assert_eq!(document.content_line, Some(document.line), "{context}");
        if let Some(stream_values) = &mut values {
            let alone = serde_json::from_str::<Value>(document.text).ok();
            let in_stream = stream_values.next().and_then(Result::ok);
            assert_eq!(alone, in_stream, "{context}: reads alone unlike in the stream");
            if alone.is_none() {
                values = None;
            }
        }
        end = range.end;
    }
    match stream.next() {
        None => assert!(error.is_none(), "JSON stream {text:?} ends well, yet {error:?}"),
        Some(Err(_)) => assert!(error.is_some(), "JSON stream {text:?} has an error the splitter misses"),
        Some(Ok(_)) => panic!("JSON stream {text:?} has values after {documents:?}"),
    }
}
