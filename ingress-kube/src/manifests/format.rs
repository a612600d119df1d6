//! The two manifest formats, their parsers, and failures placed in the file.
//!
//! YAML is read with serde-saphyr, as kube reads it: scalars are read as the
//! target field's type asks (`a: false` in `annotations` is the string
//! `"false"`, `number: "80"` the number 80). JSON is read with serde_json,
//! strictly.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{Deserialize, DeserializeSeed};
use serde_saphyr::{Localizer, Location, MessageFormatter, SnippetMode, UserMessageFormatter};

use super::split::Document;

/// How a manifest file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// YAML, one or more documents (`.yaml`, `.yml`).
    Yaml,
    /// JSON, one or more values in a row (`.json`).
    Json,
}

impl Format {
    /// The format of a file by its name: [`Format::Json`] for `.json`,
    /// [`Format::Yaml`] for `.yaml` and `.yml`, `None` for anything else.
    pub fn from_extension(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "json" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// Why a document could not be read, and where in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// File line, from 1.
    pub(crate) line: usize,
    /// Column, from 1, when the parser knows it.
    pub(crate) column: Option<usize>,
    /// The parser's message, without the position.
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column: None,
            message: message.into(),
        }
    }
}

/// Reads a whole document as a `T`.
pub(crate) fn parse<'de, T: Deserialize<'de>>(format: Format, document: &Document<'de>) -> Result<T, Failure> {
    parse_seed(format, document, PhantomData)
}

/// Reads a whole document with `seed`.
pub(crate) fn parse_seed<'de, S: DeserializeSeed<'de>>(
    format: Format,
    document: &Document<'de>,
    seed: S,
) -> Result<S::Value, Failure> {
    match format {
        Format::Yaml => {
            let options = serde_saphyr::options! { with_snippet: false };
            serde_saphyr::with_deserializer_from_str_with_options(document.text, options, |de| seed.deserialize(de))
                .map_err(|error| yaml_failure(&error, document))
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(document.text);
            let value = seed.deserialize(&mut de).and_then(|value| de.end().map(|()| value));
            value.map_err(|error| json_failure(&error, document))
        }
    }
}

/// A line or column number of serde-saphyr's as a `usize`.
pub(crate) fn line_number(number: u64) -> usize {
    usize::try_from(number).unwrap_or(usize::MAX)
}

/// A position in `document.text` (line and column from 1) as a position in
/// its file.
fn in_file(document: &Document<'_>, line: usize, column: usize) -> (usize, usize) {
    let file_line = document.line + line.saturating_sub(1);
    let file_column = if line <= 1 {
        document.column + column.saturating_sub(1)
    } else {
        column
    };
    (file_line, file_column)
}

fn yaml_failure(error: &serde_saphyr::Error, document: &Document<'_>) -> Failure {
    let options = serde_saphyr::render_options! { formatter: &WithoutLocation, snippets: SnippetMode::Off };
    let message = error.render_with_options(options);
    match error.location().filter(|location| location.line() > 0) {
        Some(location) => {
            let (line, column) = in_file(document, line_number(location.line()), line_number(location.column()));
            Failure {
                line,
                column: Some(column),
                message,
            }
        }
        None => Failure::at(document.content_line.unwrap_or(document.line), message),
    }
}

fn json_failure(error: &serde_json::Error, document: &Document<'_>) -> Failure {
    let text = error.to_string();
    if error.line() == 0 {
        return Failure::at(document.line, text);
    }
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
    let (line, column) = in_file(document, error.line(), error.column());
    Failure {
        line,
        column: Some(column),
        message,
    }
}

/// serde-saphyr's messages for users (not its hints for developers),
/// without the "at line L, column C" it appends: that position is relative
/// to the document, and is reported relative to the file instead.
struct WithoutLocation;

impl Localizer for WithoutLocation {
    fn attach_location<'a>(&self, base: Cow<'a, str>, _: Location) -> Cow<'a, str> {
        base
    }
}

impl MessageFormatter for WithoutLocation {
    fn localizer(&self) -> &dyn Localizer {
        self
    }

    fn format_message<'a>(&self, error: &'a serde_saphyr::Error) -> Cow<'a, str> {
        UserMessageFormatter.format_message(error)
    }
}
