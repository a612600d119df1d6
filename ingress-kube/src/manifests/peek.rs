//! Reading a YAML document's `apiVersion` and `kind` off its lines, so that
//! the common document (block style, plain values) is parsed once instead
//! of twice. serde-saphyr parses about 10 MB/s; this halves load times.
//!
//! The answer is only a guess to try first: the document is then parsed as
//! that kind, and k8s-openapi checks `apiVersion` and `kind` again. When
//! the guess is missing, or that parse fails, the document is read the
//! careful way, which gives the same objects and the same errors.

/// `(apiVersion, kind)` when the document has exactly one line starting
/// with `apiVersion:` and one starting with `kind:`, each with a plain or
/// simply quoted value made of the characters API versions and kinds use,
/// and no line may leave a quoted scalar or a flow collection open (a line
/// below one that does could be its continuation, not a key).
pub(crate) fn type_meta(text: &str) -> Option<(&str, &str)> {
    let mut api_version = None;
    let mut kind = None;
    for line in text.lines() {
        if may_leave_open(line) {
            return None;
        }
        let (slot, rest) = if let Some(rest) = line.strip_prefix("apiVersion:") {
            (&mut api_version, rest)
        } else if let Some(rest) = line.strip_prefix("kind:") {
            (&mut kind, rest)
        } else {
            continue;
        };
        if slot.replace(scalar(rest)?).is_some() {
            return None;
        }
    }
    Some((api_version?, kind?))
}

/// Whether `line` may open a quoted scalar or a flow collection that goes on
/// on the next line. A rough count that errs towards yes: any backslash, an
/// odd number of either quote, or more brackets opened than closed, before
/// a comment.
fn may_leave_open(line: &str) -> bool {
    let trimmed = line.trim_start_matches([' ', '\t']);
    if trimmed.starts_with('#') {
        return false;
    }
    let line = line.find(" #").and_then(|comment| line.get(..comment)).unwrap_or(line);
    let count = |chars: &[char]| line.chars().filter(|c| chars.contains(c)).count();
    line.contains('\\') || count(&['"']) % 2 == 1 || count(&['\'']) % 2 == 1 || count(&['[', '{']) > count(&[']', '}'])
}

/// Whether any line of the document (a List's items included) says
/// `kind: Secret`: a document that cannot even be parsed far enough to
/// know its kind is treated as a Secret when it may be one (T3).
pub(crate) fn may_hold_a_secret(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start_matches([' ', '\t', '-']);
        line.strip_prefix("kind:").and_then(scalar) == Some("Secret")
    })
}

/// The value after `key:` on a line, when it is a simple scalar.
fn scalar(rest: &str) -> Option<&str> {
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let value = rest.trim_start_matches([' ', '\t']);
    let value = match value.find(" #") {
        Some(comment) => value.get(..comment)?,
        None => value,
    };
    let value = value.trim_end_matches([' ', '\t', '\r']);
    let value = ['"', '\'']
        .into_iter()
        .find_map(|quote| value.strip_prefix(quote)?.strip_suffix(quote))
        .unwrap_or(value);
    let simple = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-');
    (!value.is_empty() && value.chars().all(simple)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_quoted_values() {
        let cases = [
            ("apiVersion: v1\nkind: Service\n", Some(("v1", "Service"))),
            (
                "kind: 'Ingress'\napiVersion: \"networking.k8s.io/v1\" # the GA API\n",
                Some(("networking.k8s.io/v1", "Ingress")),
            ),
            (
                "---\napiVersion: v1\r\nkind: List\r\nitems: []\r\n",
                Some(("v1", "List")),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(type_meta(text), expected, "{text:?}");
        }
    }

    #[test]
    fn continuation_lines_are_no_keys() {
        // Found by the manifest_kind fuzz target: serde-saphyr reads these
        // `kind:` lines as part of a flow sequence or a quoted scalar, so the
        // document has no kind, yet the guess loaded it as a Service.
        let cases = [
            "apiVersion: v1\nx: [\nkind: Service\n]\n",
            "apiVersion: v1\nx: \"a\nkind: Service\n\"\n",
            "apiVersion: v1\nx: 'it''s\nkind: Service\n'\n",
            "apiVersion: v1\nx: \"a\\\"\nkind: Service\n\"\n",
            "apiVersion: v1\nx: {a: [1, # ]\nkind: Service\n]}\n",
        ];
        for text in cases {
            assert_eq!(type_meta(text), None, "{text:?}");
        }
        let closed = "apiVersion: v1\nmetadata: {name: a, labels: {b: \"c\"}} # it's\nkind: Service\n";
        assert_eq!(type_meta(closed), Some(("v1", "Service")));
    }

    #[test]
    fn secrets_are_recognised_anywhere() {
        assert!(may_hold_a_secret("apiVersion: v1\nkind: Secret\ndata: [\n"));
        assert!(may_hold_a_secret(
            "kind: List\nitems:\n- kind: Service\n- kind: 'Secret'\n"
        ));
        assert!(may_hold_a_secret("items:\n  -   kind: Secret # tls\n"));
        assert!(!may_hold_a_secret("kind: Service\nmetadata: { name: Secret }\n"));
    }

    #[test]
    fn anything_unusual_is_left_to_the_parser() {
        let cases = [
            "{apiVersion: v1, kind: Service}\n",
            "--- {apiVersion: v1, kind: Service}\n",
            "apiVersion: v1\n",
            "apiVersion: v1\nkind: Service\nkind: Secret\n",
            "apiVersion: v1\nkind: &anchor Service\n",
            "apiVersion: v1\nkind: !!str Service\n",
            "apiVersion: v1\nkind: \"Serv\\x69ce\"\n",
            "apiVersion: v1\nkind:\n  Service\n",
            "apiVersion: v1\nkinds: Service\n",
            "apiVersion: v1\n\"kind\": Service\n",
            "{\napiVersion: v1,\nkind: Service\n}\n",
        ];
        for text in cases {
            assert_eq!(type_meta(text), None, "{text:?}");
        }
    }
}
