//! The manifest splitter and kind sniffer, for the fuzz crate only.
//!
//! This module exists with the `fuzzing` feature (off by default) and is no
//! part of the supported API: it may change in any release. Each function
//! is a thin wrapper over what [`Manifests`](crate::Manifests) uses before
//! it decodes a document, so that `fuzz/` can compare them with
//! serde-saphyr on arbitrary text.
//!
//! ```
//! use ingress_kube::fuzzing::{may_hold_a_secret, type_meta, yaml_documents};
//!
//! let text = "# a Service\napiVersion: v1\nkind: Service\n---\nkind: Secret\n";
//! let documents = yaml_documents(text);
//! assert_eq!(documents.len(), 2);
//! assert_eq!(documents[1].text, "---\nkind: Secret\n");
//! assert_eq!((documents[1].line, documents[1].content_line), (4, Some(5)));
//! assert_eq!(type_meta(documents[0].text), Some(("v1", "Service")));
//! assert_eq!(type_meta(documents[1].text), None);
//! assert!(may_hold_a_secret(documents[1].text));
//! ```
#![cfg(feature = "fuzzing")]
#![doc(hidden)]

use crate::manifests::{peek, split};

/// One document of a file, as the splitter cuts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Document<'a> {
    /// Its number in the file, from 1, empty YAML documents included.
    pub number: usize,
    /// Its text: a piece of the input, from the start of a line for YAML
    /// and from the value's first character for JSON.
    pub text: &'a str,
    /// The input line (from 1) where `text` starts.
    pub line: usize,
    /// The column (from 1, in characters) where `text` starts.
    pub column: usize,
    /// The input line (from 1) of its first content; `None` for an empty
    /// YAML document, which the loader skips.
    pub content_line: Option<usize>,
}

impl<'a> From<split::Document<'a>> for Document<'a> {
    fn from(document: split::Document<'a>) -> Self {
        Self {
            number: document.number,
            text: document.text,
            line: document.line,
            column: document.column,
            content_line: document.content_line,
        }
    }
}

/// The documents of a YAML stream, in order, empty ones included.
///
/// The loader strips a leading byte order mark before it splits; so should
/// a caller that wants to see what the loader sees.
pub fn yaml_documents(text: &str) -> Vec<Document<'_>> {
    split::yaml_documents(text).into_iter().map(Document::from).collect()
}

/// The values of a JSON stream, in order, and the syntax error that ended
/// the stream early, if any.
pub fn json_documents(text: &str) -> (Vec<Document<'_>>, Option<serde_json::Error>) {
    let (documents, error) = match split::json_documents(text) {
        Ok(documents) => (documents, None),
        Err((documents, error)) => (documents, Some(error)),
    };
    (documents.into_iter().map(Document::from).collect(), error)
}

/// The `(apiVersion, kind)` the sniffer reads off a YAML document's lines,
/// or `None` where it leaves the document to the parser.
pub fn type_meta(text: &str) -> Option<(&str, &str)> {
    peek::type_meta(text)
}

/// Whether a line of the YAML document says `kind: Secret`, so that the
/// loader withholds the parser's message about it.
pub fn may_hold_a_secret(text: &str) -> bool {
    peek::may_hold_a_secret(text)
}
