//! The pieces every builder writes: a double-quoted scalar and an object's
//! head (`apiVersion`, `kind`, `metadata`).

use std::fmt::Write as _;

/// `text` as a double-quoted YAML scalar, so that hosts such as
/// `*.example` (an alias in plain YAML) and values such as `"true"` stay
/// strings.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `metadata` of any kind: only what was set is written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metadata {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) created: Option<String>,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) annotations: Vec<(String, String)>,
}

impl Metadata {
    pub(crate) fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// `apiVersion`, `kind` and `metadata`, each on lines of their own.
    pub(crate) fn write_head(&self, out: &mut String, api_version: &str, kind: &str) {
        let _ = writeln!(
            out,
            "apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {}",
            self.name
        );
        if let Some(namespace) = &self.namespace {
            let _ = writeln!(out, "  namespace: {namespace}");
        }
        if let Some(created) = &self.created {
            let _ = writeln!(out, "  creationTimestamp: {}", quoted(created));
        }
        for (field, pairs) in [("labels", &self.labels), ("annotations", &self.annotations)] {
            if pairs.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {field}:");
            for (key, value) in pairs {
                let _ = writeln!(out, "    {key}: {}", quoted(value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_what_yaml_would_read_otherwise() {
        assert_eq!(quoted("*.example"), "\"*.example\"");
        assert_eq!(quoted("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(quoted("\u{1}"), "\"\\u0001\"");
    }
}
