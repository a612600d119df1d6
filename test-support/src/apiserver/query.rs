//! The query string of a request, read leniently the way kube writes it
//! (`?&limit=500&watch=true`: empty pairs are skipped), percent- and
//! `+`-decoded.

/// The decoded `key=value` pairs of a query string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// Parses `query` (without the `?`).
    pub(crate) fn parse(query: &str) -> Self {
        Self(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(key), decode(value))
                })
                .collect(),
        )
    }

    /// The first value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Whether `key` is `true` or `1`.
    pub(crate) fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }

    /// `key` as a number, if present and numeric.
    pub(crate) fn number(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.parse().ok())
    }
}

/// Form decoding: `+` is a space, `%XX` a byte; a malformed escape stays
/// as written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(index + 1..index + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(value) = hex {
                    out.push(value);
                    index += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_queries_with_a_leading_ampersand_and_escapes_are_decoded() {
        let query = Query::parse("&fieldSelector=type%3Dkubernetes.io%2Ftls&limit=500&watch=true&x=a+b&bad=%zz%4");
        assert_eq!(query.get("fieldSelector"), Some("type=kubernetes.io/tls"));
        assert_eq!(query.number("limit"), Some(500));
        assert!(query.flag("watch"));
        assert!(!query.flag("allowWatchBookmarks"));
        assert_eq!(query.get("x"), Some("a b"));
        assert_eq!(query.get("bad"), Some("%zz%4"));
    }
}
