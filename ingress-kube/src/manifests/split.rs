//! Cutting a file into its documents, each with its number and first line,
//! so that one broken document cannot hide the others.
//!
//! YAML: a line that starts with `---` (followed by nothing, a space or a
//! tab) starts a document, and one that starts with `...` ends one. The
//! YAML spec forbids both markers at the start of a line inside any
//! scalar, so cutting there never splits a value. Comments, blank lines
//! and directives before a document belong to it. Every document the YAML
//! stream holds is numbered from 1, empty ones included (they are then
//! skipped); text holding only comments is no document.
//!
//! JSON: a file holds one value or several in a row (a JSON stream); each
//! value is a document.

/// One document's text, and where it starts in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Document<'a> {
    /// Its number in the file, from 1.
    pub(crate) number: usize,
    /// The text, starting at the beginning of a line for YAML and at the
    /// value's first character for JSON.
    pub(crate) text: &'a str,
    /// The file line (from 1) where `text` starts.
    pub(crate) line: usize,
    /// The column (from 1) where `text` starts.
    pub(crate) column: usize,
    /// The file line (from 1) of its first content: the first line that is
    /// not blank, a comment, a directive or a lone `---`. `None` for an
    /// empty document.
    pub(crate) content_line: Option<usize>,
}

/// A YAML stream's documents, in order, empty ones included.
pub(crate) fn yaml_documents(text: &str) -> Vec<Document<'_>> {
    let mut documents = Vec::new();
    let mut chunk = Chunk::at(0, 1);
    let mut offset = 0;
    for (index, line) in lines(text).enumerate() {
        let number = index + 1;
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some(rest) = marker(bare, "---") {
            if chunk.is_document() {
                chunk.finish(text, offset, &mut documents);
                chunk = Chunk::at(offset, number);
            }
            chunk.has_marker = true;
            if !is_blank_or_comment(rest) {
                chunk.content(number);
            }
        } else if marker(bare, "...").is_some() {
            chunk.finish(text, offset + line.len(), &mut documents);
            chunk = Chunk::at(offset + line.len(), number + 1);
        } else if !(is_blank_or_comment(bare) || (bare.starts_with('%') && chunk.content_line.is_none())) {
            chunk.content(number);
        }
        offset += line.len();
    }
    chunk.finish(text, text.len(), &mut documents);
    documents
}

/// The lines of `text`, each with its line break: YAML breaks lines at
/// `\r\n`, `\n` and a lone `\r` alike.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = match rest.find(['\n', '\r']) {
            Some(at) if rest.get(at..at + 2) == Some("\r\n") => at + 2,
            Some(at) => at + 1,
            None => rest.len(),
        };
        let (line, after) = rest.split_at(end);
        rest = after;
        Some(line)
    })
}

/// The rest of `line` after `marker` when `line` is that document marker.
fn marker<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(marker)?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

fn is_blank_or_comment(text: &str) -> bool {
    let text = text.trim_start_matches([' ', '\t']);
    text.is_empty() || text.starts_with('#')
}

/// The document being read.
struct Chunk {
    start: usize,
    line: usize,
    has_marker: bool,
    content_line: Option<usize>,
}

impl Chunk {
    fn at(start: usize, line: usize) -> Self {
        Self {
            start,
            line,
            has_marker: false,
            content_line: None,
        }
    }

    fn content(&mut self, line: usize) {
        self.content_line.get_or_insert(line);
    }

    fn is_document(&self) -> bool {
        self.has_marker || self.content_line.is_some()
    }

    fn finish<'a>(&self, text: &'a str, end: usize, documents: &mut Vec<Document<'a>>) {
        if !self.is_document() {
            return;
        }
        documents.push(Document {
            number: documents.len() + 1,
            text: text.get(self.start..end).unwrap_or_default(),
            line: self.line,
            column: 1,
            content_line: self.content_line,
        });
    }
}

/// A JSON stream's values, in order, or the documents before a syntax error
/// and that error's byte offset and message.
pub(crate) fn json_documents(text: &str) -> Result<Vec<Document<'_>>, (Vec<Document<'_>>, serde_json::Error)> {
    let mut documents = Vec::new();
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let mut lines = LineCounter::default();
    loop {
        let before = values.byte_offset();
        match values.next() {
            None => return Ok(documents),
            Some(Err(error)) => return Err((documents, error)),
            Some(Ok(_)) => {
                let end = values.byte_offset();
                let slice = text.get(before..end).unwrap_or_default();
                let skipped = slice.len() - slice.trim_start().len();
                let start = before + skipped;
                let (line, column) = lines.position(text, start);
                documents.push(Document {
                    number: documents.len() + 1,
                    text: text.get(start..end).unwrap_or_default(),
                    line,
                    column,
                    content_line: Some(line),
                });
            }
        }
    }
}

/// Line and column of byte offsets, for offsets given in increasing order.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    fn position(&mut self, text: &str, offset: usize) -> (usize, usize) {
        let seen = text.get(self.offset..offset).unwrap_or_default();
        for (at, byte) in seen.bytes().enumerate() {
            if byte == b'\n' {
                self.line += 1;
                self.line_start = self.offset + at + 1;
            }
        }
        self.offset = offset;
        let column = text.get(self.line_start..offset).map_or(0, |s| s.chars().count());
        (self.line + 1, column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (number, first line, content line, text) of each document.
    fn yaml(text: &str) -> Vec<(usize, usize, Option<usize>, &str)> {
        yaml_documents(text)
            .into_iter()
            .map(|d| (d.number, d.line, d.content_line, d.text))
            .collect()
    }

    #[test]
    fn a_single_document_without_markers() {
        assert_eq!(yaml("a: 1\nb: 2\n"), [(1, 1, Some(1), "a: 1\nb: 2\n")]);
    }

    #[test]
    fn leading_comments_and_marker_make_one_document() {
        let text = "# header\n\n---\na: 1\n---\nb: 2\n";
        assert_eq!(
            yaml(text),
            [
                (1, 1, Some(4), "# header\n\n---\na: 1\n"),
                (2, 5, Some(6), "---\nb: 2\n")
            ]
        );
    }

    #[test]
    fn empty_documents_are_numbered() {
        let text = "a: 1\n---\n---\n# nothing\n---\nb: 2";
        let documents = yaml(text);
        assert_eq!(documents.len(), 4);
        assert_eq!(documents[1], (2, 2, None, "---\n"));
        assert_eq!(documents[2], (3, 3, None, "---\n# nothing\n"));
        assert_eq!(documents[3], (4, 5, Some(6), "---\nb: 2"));
    }

    #[test]
    fn only_comments_is_no_document() {
        assert!(yaml("# a\n  # b\n\n").is_empty());
        assert!(yaml("").is_empty());
    }

    #[test]
    fn content_on_the_marker_line() {
        assert_eq!(
            yaml("--- {a: 1}\n--- |\n  text\n"),
            [(1, 1, Some(1), "--- {a: 1}\n"), (2, 2, Some(2), "--- |\n  text\n")]
        );
    }

    #[test]
    fn markers_need_a_separator_and_column_one() {
        let text = "a: ---x\nb: |\n  ---\n---x: 1\n";
        assert_eq!(yaml(text).len(), 1);
    }

    #[test]
    fn document_end_markers() {
        let text = "a: 1\n...\n# between\n---\nb: 2\n...\nc: 3\n";
        assert_eq!(
            yaml(text),
            [
                (1, 1, Some(1), "a: 1\n...\n"),
                (2, 3, Some(5), "# between\n---\nb: 2\n...\n"),
                (3, 7, Some(7), "c: 3\n")
            ]
        );
    }

    #[test]
    fn directives_belong_to_the_next_document() {
        assert_eq!(
            yaml("%YAML 1.2\n---\na: 1\n"),
            [(1, 1, Some(3), "%YAML 1.2\n---\na: 1\n")]
        );
    }

    #[test]
    fn crlf_line_ends() {
        let documents = yaml("a: 1\r\n---\r\nb: 2\r\n");
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[1], (2, 2, Some(3), "---\r\nb: 2\r\n"));
    }

    #[test]
    fn lone_carriage_returns_break_lines() {
        // Found by the manifest_split fuzz target: serde-saphyr reads `\r` as
        // a line break, so the comment ended there and a document was lost.
        assert_eq!(yaml("# c\r(\n"), [(1, 1, Some(2), "# c\r(\n")]);
        assert_eq!(
            yaml("a: 1\r---\rb: 2\r"),
            [(1, 1, Some(1), "a: 1\r"), (2, 2, Some(3), "---\rb: 2\r")]
        );
    }

    #[test]
    fn json_streams() {
        let text = "{\"a\": 1}\n\n  {\"b\":\n 2} [3]";
        let documents = json_documents(text).unwrap();
        let found: Vec<_> = documents.iter().map(|d| (d.number, d.line, d.column, d.text)).collect();
        assert_eq!(
            found,
            [(1, 1, 1, "{\"a\": 1}"), (2, 3, 3, "{\"b\":\n 2}"), (3, 4, 5, "[3]")]
        );
    }

    #[test]
    fn json_syntax_errors_keep_the_values_before() {
        let (documents, error) = json_documents("{\"a\": 1}\n{\"b\" 2}").unwrap_err();
        assert_eq!(documents.len(), 1);
        assert_eq!(error.line(), 2);
    }
}
