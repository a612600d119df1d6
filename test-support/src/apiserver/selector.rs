//! Field and label selectors as list and watch requests carry them, and
//! whether an object matches them.
//!
//! Field selectors: `path=value`, `path==value` and `path!=value`, joined
//! by commas; the path is dotted (`metadata.name`, `metadata.namespace`,
//! `type`, or any other field) and a missing field reads as empty. Label
//! selectors: equality (`k=v`, `k==v`, `k!=v`), existence (`k`, `!k`) and
//! sets (`k in (a,b)`, `k notin (a,b)`).

use serde_json::Value;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// Why a selector could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SelectorError(pub(crate) String);

/// A parsed field or label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Selector {
    fields: Vec<Requirement>,
    labels: Vec<Requirement>,
}

impl Selector {
    /// Reads the `fieldSelector` and `labelSelector` query values.
    pub(crate) fn parse(fields: Option<&str>, labels: Option<&str>) -> Result<Self, SelectorError> {
        let mut selector = Self::default();
        for term in split_terms(fields.unwrap_or_default()) {
            let requirement = parse_term(term)?;
            if !matches!(requirement, Requirement::Equals(..) | Requirement::NotEquals(..)) {
                return Err(SelectorError(format!("field selector term {term:?}")));
            }
            selector.fields.push(requirement);
        }
        for term in split_terms(labels.unwrap_or_default()) {
            selector.labels.push(parse_term(term)?);
        }
        Ok(selector)
    }

    /// Whether `object` satisfies every requirement.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        let field = |path: &str| {
            let pointer = format!("/{}", path.replace('.', "/"));
            match object.pointer(&pointer) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            }
        };
        self.fields.iter().all(|r| match r {
            Requirement::Equals(path, value) => field(path) == *value,
            Requirement::NotEquals(path, value) => field(path) != *value,
            _ => false,
        }) && self.labels.iter().all(|r| match r {
            Requirement::Equals(key, value) => label(key) == Some(value.as_str()),
            Requirement::NotEquals(key, value) => label(key) != Some(value.as_str()),
            Requirement::Exists(key) => label(key).is_some(),
            Requirement::Absent(key) => label(key).is_none(),
            Requirement::In(key, values) => label(key).is_some_and(|v| values.iter().any(|x| x == v)),
            Requirement::NotIn(key, values) => !label(key).is_some_and(|v| values.iter().any(|x| x == v)),
        })
    }
}

/// Splits on commas outside parentheses, trimming and dropping empty terms.
fn split_terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut depth = 0_usize;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(text.get(start..index).unwrap_or_default());
                start = index + 1;
            }
            _ => {}
        }
    }
    terms.push(text.get(start..).unwrap_or_default());
    terms.into_iter().map(str::trim).filter(|t| !t.is_empty()).collect()
}

fn parse_term(term: &str) -> Result<Requirement, SelectorError> {
    let bad = || SelectorError(format!("selector term {term:?}"));
    let key = |k: &str| {
        let k = k.trim();
        if k.is_empty() || k.contains(char::is_whitespace) {
            Err(bad())
        } else {
            Ok(k.to_owned())
        }
    };
    if let Some((k, v)) = term.split_once("!=") {
        return Ok(Requirement::NotEquals(key(k)?, v.trim().to_owned()));
    }
    if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Ok(Requirement::Equals(key(k)?, v.trim().to_owned()));
    }
    if let Some(open) = term.find('(') {
        let values = term
            .get(open + 1..)
            .and_then(|rest| rest.strip_suffix(')'))
            .ok_or_else(bad)?
            .split(',')
            .map(|v| v.trim().to_owned())
            .collect();
        let head = term.get(..open).unwrap_or_default().trim();
        if let Some(k) = head.strip_suffix(" notin") {
            return Ok(Requirement::NotIn(key(k)?, values));
        }
        if let Some(k) = head.strip_suffix(" in") {
            return Ok(Requirement::In(key(k)?, values));
        }
        return Err(bad());
    }
    match term.strip_prefix('!') {
        Some(k) => Ok(Requirement::Absent(key(k)?)),
        None => Ok(Requirement::Exists(key(term)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret() -> Value {
        json!({
            "metadata": {"name": "tls-a", "namespace": "shop", "labels": {"app": "web", "tier": "edge"}},
            "type": "kubernetes.io/tls",
        })
    }

    #[test]
    fn field_selectors_compare_dotted_paths_and_missing_fields_read_empty() {
        let cases = [
            ("type=kubernetes.io/tls", true),
            ("type==Opaque", false),
            ("metadata.name=tls-a,metadata.namespace=shop", true),
            ("metadata.namespace!=shop", false),
            ("spec.missing=", true),
            ("spec.missing!=", false),
        ];
        for (fields, expected) in cases {
            let selector = Selector::parse(Some(fields), None).unwrap();
            assert_eq!(selector.matches(&secret()), expected, "{fields}");
        }
        assert!(Selector::parse(Some("metadata.name"), None).is_err());
    }

    #[test]
    fn label_selectors_support_equality_existence_and_sets() {
        let cases = [
            ("app=web", true),
            ("app==web,tier=edge", true),
            ("app!=web", false),
            ("app", true),
            ("!app", false),
            ("kubernetes.io/service-name", false),
            ("tier in (edge, core)", true),
            ("tier notin (edge)", false),
            ("missing notin (x)", true),
            ("", true),
        ];
        for (labels, expected) in cases {
            let selector = Selector::parse(None, Some(labels)).unwrap();
            assert_eq!(selector.matches(&secret()), expected, "{labels}");
        }
        assert!(Selector::parse(None, Some("tier in edge)")).is_err());
        assert!(Selector::parse(None, Some("a b")).is_err());
    }
}
