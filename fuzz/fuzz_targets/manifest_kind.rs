//! `ingress-kube`'s kind sniffer (`type_meta`, `may_hold_a_secret`) on each
//! document of arbitrary text, against serde-saphyr.
//!
//! The sniffer reads `apiVersion` and `kind` off a document's lines to
//! parse it once, as that kind, instead of twice; the guess is checked by
//! that parse. `may_hold_a_secret` decides whether the parser's message
//! about a broken document is withheld (T3). On every document the splitter
//! cuts from the input:
//!
//! - Sound: when `type_meta` answers `(apiVersion, kind)` and serde-saphyr
//!   reads the document as a map, the map's top-level `apiVersion` and
//!   `kind` are those strings.
//! - Complete on the common form: when serde-saphyr reads a map whose
//!   `apiVersion` and `kind` are strings of the characters API versions and
//!   kinds use, the same map written back by serde-saphyr (block style) is
//!   sniffed as those values, unless the written text has more than one
//!   line starting with `apiVersion:` or `kind:`, or a line that may leave
//!   a quoted scalar or flow collection open by the sniffer's rough count
//!   (a backslash, an odd number of either quote, more brackets opened than
//!   closed): there `type_meta` says it gives up.
//! - Secrets: a document sniffed as kind `Secret` may hold a Secret; so
//!   does the written-back text of every map that serde-saphyr reads with
//!   `kind: Secret` at the top level or in one of its `items`.
//!
//! Readings where the two legitimately differ, and how this target takes
//! them:
//! - A document serde-saphyr reads as something other than a map (a block
//!   scalar after `--- |`, say) may still be sniffed: the parse as that
//!   kind then fails, and the loader reads the document the careful way.
//!   Soundness is checked on maps only.
//! - `may_hold_a_secret` reads lines, as its documentation says: it says
//!   nothing about a Secret spelt in flow style, with a tag, an alias, a
//!   quoted key or a value on the next line. Those are checked through the
//!   written-back text only.
#![no_main]

use ingress_core_fuzz::yaml::{read_document, write_document};
use ingress_kube::fuzzing::{may_hold_a_secret, type_meta, yaml_documents};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for document in yaml_documents(text) {
        if document.content_line.is_some() {
            check(document.text);
        }
    }
});

fn check(text: &str) {
    let sniffed = type_meta(text);
    if let Some((_, kind)) = sniffed {
        assert!(
            kind != "Secret" || may_hold_a_secret(text),
            "{text:?} is sniffed as a Secret"
        );
    }
    let Ok(Value::Object(map)) = read_document(text) else {
        return;
    };
    if let Some((api_version, kind)) = sniffed {
        assert_eq!(
            (string(&map, "apiVersion"), string(&map, "kind")),
            (Some(api_version), Some(kind)),
            "{text:?} is sniffed unlike serde-saphyr reads it"
        );
    }
    let Some(written) = write_document(&Value::Object(map.clone())) else {
        return;
    };
    if read_document(&written).ok() != Some(Value::Object(map.clone())) {
        // serde-saphyr does not read back what it wrote: nothing to learn.
        return;
    }
    let context = format!("{text:?}, written back as {written:?}");
    if let (Some(api_version), Some(kind)) = (string(&map, "apiVersion"), string(&map, "kind"))
        && simple(api_version)
        && simple(kind)
        && lines_starting(&written, "apiVersion:") == 1
        && lines_starting(&written, "kind:") == 1
        && !written.lines().any(may_leave_open)
    {
        assert_eq!(type_meta(&written), Some((api_version, kind)), "{context}");
    }
    let items = map.get("items").and_then(Value::as_array).into_iter().flatten();
    let item_is_secret = items
        .filter_map(Value::as_object)
        .any(|item| string(item, "kind") == Some("Secret"));
    if string(&map, "kind") == Some("Secret") || item_is_secret {
        assert!(may_hold_a_secret(&written), "{context}: a Secret is not noticed");
    }
}

fn string<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// Made of the characters API versions and kinds use.
fn simple(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-'))
}

/// The sniffer's documented reason to give up: a line that may open a
/// quoted scalar or flow collection going on on the next line.
fn may_leave_open(line: &str) -> bool {
    if line.trim_start().starts_with('#') {
        return false;
    }
    let line = line.split(" #").next().unwrap_or(line);
    let count = |of: &[char]| line.chars().filter(|c| of.contains(c)).count();
    line.contains('\\') || count(&['"']) % 2 == 1 || count(&['\'']) % 2 == 1 || count(&['[', '{']) > count(&[']', '}'])
}

fn lines_starting(text: &str, prefix: &str) -> usize {
    text.lines().filter(|line| line.starts_with(prefix)).count()
}
