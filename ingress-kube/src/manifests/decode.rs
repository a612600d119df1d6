//! One document to typed objects: its `apiVersion` and `kind` are read
//! first, then the document is read again as that type, so that a type
//! error carries the parser's own position. `kind: List` (and typed lists
//! such as `IngressList`) are unwrapped the same way, item by item.

use std::fmt;
use std::sync::Arc;

use k8s_openapi::Resource;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::format::{Failure, Format, line_number, parse, parse_seed};
use super::peek;
use super::split::Document;
use super::strip::StripUnread;

/// What a Secret's parse error says instead of the parser's message, which
/// may quote the Secret's data (T3).
pub(crate) const SECRET_MESSAGE_WITHHELD: &str =
    "the Secret could not be read (the parser's message is withheld: it may quote Secret data)";

/// The kinds this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ingress,
    IngressClass,
    Service,
    EndpointSlice,
    Secret,
}

impl Kind {
    const ALL: [Self; 5] = [
        Self::Ingress,
        Self::IngressClass,
        Self::Service,
        Self::EndpointSlice,
        Self::Secret,
    ];

    fn type_meta(self) -> (&'static str, &'static str) {
        match self {
            Self::Ingress => (Ingress::API_VERSION, Ingress::KIND),
            Self::IngressClass => (IngressClass::API_VERSION, IngressClass::KIND),
            Self::Service => (Service::API_VERSION, Service::KIND),
            Self::EndpointSlice => (EndpointSlice::API_VERSION, EndpointSlice::KIND),
            Self::Secret => (Secret::API_VERSION, Secret::KIND),
        }
    }

    /// The kind named by `apiVersion` and `kind`, if we read it.
    fn of(api_version: &str, kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.type_meta() == (api_version, kind))
    }

    /// The kind of the items of a typed list such as `IngressList`.
    fn list_of(api_version: &str, kind: &str) -> Option<Self> {
        Self::of(api_version, kind.strip_suffix("List")?)
    }

    fn read<'de, D: Deserializer<'de>>(self, de: D) -> Result<Object, D::Error> {
        Ok(match self {
            Self::Ingress => Object::Ingress(Arc::new(Ingress::deserialize(de)?)),
            Self::IngressClass => Object::IngressClass(Arc::new(IngressClass::deserialize(de)?)),
            Self::Service => Object::Service(Arc::new(Service::deserialize(de)?)),
            Self::EndpointSlice => Object::EndpointSlice(Arc::new(EndpointSlice::deserialize(de)?)),
            Self::Secret => Object::Secret(Arc::new(Secret::deserialize(de)?)),
        })
    }
}

/// One typed object, shared: a cache and the objects loaded from it hold
/// the same allocation.
#[derive(Clone)]
pub(crate) enum Object {
    Ingress(Arc<Ingress>),
    IngressClass(Arc<IngressClass>),
    Service(Arc<Service>),
    EndpointSlice(Arc<EndpointSlice>),
    Secret(Arc<Secret>),
}

impl Object {
    /// Drops, in place, what routing never reads (see [`StripUnread`]).
    /// The object is not shared yet when it is just decoded, so nothing is
    /// copied.
    pub(crate) fn strip_unread(&mut self) {
        match self {
            Self::Ingress(object) => Arc::make_mut(object).strip_unread(),
            Self::IngressClass(object) => Arc::make_mut(object).strip_unread(),
            Self::Service(object) => Arc::make_mut(object).strip_unread(),
            Self::EndpointSlice(object) => Arc::make_mut(object).strip_unread(),
            Self::Secret(object) => Arc::make_mut(object).strip_unread(),
        }
    }
}

/// What a document holds, object by object.
#[derive(Clone)]
pub(crate) enum Decoded {
    /// An object of a kind we read.
    Object {
        object: Object,
        line: usize,
        item: Option<usize>,
    },
    /// An object of another kind.
    Skipped {
        api_version: String,
        kind: String,
        line: usize,
        item: Option<usize>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeMeta {
    api_version: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Items<T> {
    items: Option<Vec<T>>,
}

/// The objects in `document`; nothing for a null document.
pub(crate) fn decode(format: Format, document: &Document<'_>) -> Result<Vec<Decoded>, Failure> {
    let line = document.content_line.unwrap_or(document.line);
    // Most documents: one parse, as the kind their lines announce.
    if format == Format::Yaml
        && let Some(known) = peek::type_meta(document.text).and_then(|(api_version, kind)| Kind::of(api_version, kind))
        && let Ok(Some(object)) = parse_seed(format, document, KindSeed(Some(known)))
    {
        return Ok(vec![Decoded::Object {
            object,
            line,
            item: None,
        }]);
    }
    let Some(meta) =
        parse::<Option<TypeMeta>>(format, document).map_err(|failure| unsure(format, document, failure))?
    else {
        return Ok(Vec::new());
    };
    let (api_version, kind) = type_meta(meta, None).map_err(|error| Failure::at(line, error.to_string()))?;
    if kind == "List" {
        return list(format, document, None);
    }
    if let Some(item_kind) = Kind::list_of(&api_version, &kind) {
        return list(format, document, Some(&(item_kind, api_version)));
    }
    let Some(known) = Kind::of(&api_version, &kind) else {
        return Ok(vec![Decoded::Skipped {
            api_version,
            kind,
            line,
            item: None,
        }]);
    };
    let object = parse_seed(format, document, KindSeed(Some(known))).map_err(|failure| {
        if known == Kind::Secret {
            withheld(failure, None)
        } else {
            failure
        }
    })?;
    Ok(object
        .map(|object| Decoded::Object {
            object,
            line,
            item: None,
        })
        .into_iter()
        .collect())
}

/// A missing `apiVersion` or `kind`.
struct NotAnObject {
    item: Option<usize>,
    missing: &'static str,
}

impl fmt::Display for NotAnObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(item) = self.item {
            write!(f, "items[{item}]: ")?;
        }
        write!(f, "not a Kubernetes object: `{}` is missing", self.missing)
    }
}

fn type_meta(meta: TypeMeta, item: Option<usize>) -> Result<(String, String), NotAnObject> {
    let present = |value: Option<String>, missing| value.filter(|v| !v.is_empty()).ok_or(NotAnObject { item, missing });
    Ok((present(meta.api_version, "apiVersion")?, present(meta.kind, "kind")?))
}

/// The items of a list; `typed` gives the kind and `apiVersion` of items
/// that do not say, for typed lists.
fn list(format: Format, document: &Document<'_>, typed: Option<&(Kind, String)>) -> Result<Vec<Decoded>, Failure> {
    let list_line = document.content_line.unwrap_or(document.line);
    let headers: Vec<(TypeMeta, usize)> = match format {
        Format::Yaml => parse::<Items<serde_saphyr::Spanned<TypeMeta>>>(format, document)
            .map_err(|failure| unsure(format, document, failure))?
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let line = document.line + line_number(item.referenced.line()).saturating_sub(1);
                (item.value, line)
            })
            .collect(),
        Format::Json => parse::<Items<TypeMeta>>(format, document)?
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| (item, list_line))
            .collect(),
    };
    let mut kinds = Vec::with_capacity(headers.len());
    let mut decoded = Vec::with_capacity(headers.len());
    for (index, (mut meta, line)) in headers.into_iter().enumerate() {
        if let Some((kind, api_version)) = typed {
            meta.kind.get_or_insert_with(|| kind.type_meta().1.to_owned());
            meta.api_version.get_or_insert_with(|| api_version.clone());
        }
        let (api_version, kind) = type_meta(meta, Some(index)).map_err(|error| Failure::at(line, error.to_string()))?;
        let known = Kind::of(&api_version, &kind);
        kinds.push((known, line));
        if known.is_none() {
            decoded.push(Decoded::Skipped {
                api_version,
                kind,
                line,
                item: Some(index),
            });
        }
    }
    let objects = parse_seed(format, document, ListSeed(&kinds)).map_err(|failure| {
        // The item the failure is in: the last one starting before it.
        let item = kinds.iter().rposition(|(_, line)| *line <= failure.line);
        let secret = match (format, item) {
            (Format::Yaml, Some(index)) => kinds.get(index).is_some_and(|(kind, _)| *kind == Some(Kind::Secret)),
            _ => kinds.iter().any(|(kind, _)| *kind == Some(Kind::Secret)),
        };
        let item = item.filter(|_| format == Format::Yaml);
        if secret {
            withheld(failure, item)
        } else {
            match item {
                Some(index) => Failure {
                    message: format!("items[{index}]: {}", failure.message),
                    ..failure
                },
                None => failure,
            }
        }
    })?;
    for (index, object) in objects.into_iter().enumerate() {
        if let (Some(object), Some((_, line))) = (object, kinds.get(index)) {
            decoded.push(Decoded::Object {
                object,
                line: *line,
                item: Some(index),
            });
        }
    }
    decoded.sort_by_key(|decoded| match decoded {
        Decoded::Object { item, .. } | Decoded::Skipped { item, .. } => *item,
    });
    Ok(decoded)
}

/// A failure before the kinds in `document` are known: withheld when the
/// document may hold a Secret.
fn unsure(format: Format, document: &Document<'_>, failure: Failure) -> Failure {
    if format == Format::Yaml && peek::may_hold_a_secret(document.text) {
        withheld(failure, None)
    } else {
        failure
    }
}

fn withheld(mut failure: Failure, item: Option<usize>) -> Failure {
    failure.message = match item {
        Some(index) => format!("items[{index}]: {SECRET_MESSAGE_WITHHELD}"),
        None => SECRET_MESSAGE_WITHHELD.to_owned(),
    };
    failure
}

/// Reads one object as the given kind, or skips it.
struct KindSeed(Option<Kind>);

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = Option<Object>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        match self.0 {
            Some(kind) => kind.read(de).map(Some),
            None => IgnoredAny::deserialize(de).map(|_| None),
        }
    }
}

/// Reads a list's `items`, each as the kind its header gave.
struct ListSeed<'k>(&'k [(Option<Kind>, usize)]);

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Vec<Option<Object>>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Vec<Option<Object>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut objects = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                objects = map.next_value_seed(ItemsSeed(self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(objects)
    }
}

struct ItemsSeed<'k>(&'k [(Option<Kind>, usize)]);

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = Vec<Option<Object>>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = Vec<Option<Object>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut objects = Vec::with_capacity(self.0.len());
        loop {
            let kind = self.0.get(objects.len()).and_then(|(kind, _)| *kind);
            match seq.next_element_seed(KindSeed(kind))? {
                Some(object) => objects.push(object),
                None => return Ok(objects),
            }
        }
    }
}
