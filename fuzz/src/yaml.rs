//! serde-saphyr as the reference reader for the manifest targets, with the
//! options `ingress-kube` reads documents with, and where a document's text
//! lies in its file.

use serde_json::Value;

/// The options `ingress-kube` passes to serde-saphyr.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! { with_snippet: false }
}

/// Every document of a YAML stream as serde-saphyr's multi-document reader
/// sees it: empty and null documents skipped.
pub fn read_stream(text: &str) -> Option<Vec<Value>> {
    serde_saphyr::from_multiple_with_options(text, options()).ok()
}

/// One document, read as `ingress-kube` reads it.
pub fn read_document(text: &str) -> Result<Value, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options(text, options())
}

/// A value written back as YAML in serde-saphyr's own block style, each
/// string on its key's line (no folded or literal block scalars).
pub fn write_document(value: &Value) -> Option<String> {
    let options = serde_saphyr::ser_options! { prefer_block_scalars: false };
    serde_saphyr::to_string_with_options(value, options).ok()
}

/// The byte range of `piece` in `whole`, when `piece` is a slice of it.
pub fn range_in(whole: &str, piece: &str) -> Option<std::ops::Range<usize>> {
    let start = (piece.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(piece.len())?;
    (end <= whole.len()).then_some(start..end)
}

/// The lines of `text` as YAML breaks them: at `\r\n`, `\n` or a lone
/// `\r`, each without its break.
pub fn yaml_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'))
}

/// Whether byte `offset` starts a YAML line of `text`.
pub fn at_yaml_line_start(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    match offset.checked_sub(1).and_then(|before| bytes.get(before)) {
        None => offset == 0,
        Some(b'\n') => true,
        Some(b'\r') => bytes.get(offset) != Some(&b'\n'),
        Some(_) => false,
    }
}

/// The YAML line (from 1) of byte `offset`.
pub fn yaml_line(text: &str, offset: usize) -> usize {
    let before = text.get(..offset).unwrap_or(text);
    before.matches('\n').count() + before.matches('\r').count() - before.matches("\r\n").count() + 1
}

/// The line (from 1) and column (from 1, in characters) of byte `offset`,
/// as serde_json counts them: lines end at `\n`.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count());
    (before.matches('\n').count() + 1, column + 1)
}
