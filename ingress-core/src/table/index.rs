//! The lookup structures of a table: every host name and path lives once
//! in one text arena, and two flat hash tables index it.
//!
//! - `hosts` maps an exact host, or the parent domain of a wildcard, to its
//!   host level.
//! - `paths` maps `(level, Exact, path)` and `(level, Prefix, stripped
//!   path)` to a table entry.
//!
//! A Prefix rule `q` (one trailing `/` stripped) with `k` elements matches
//! a path `p` when the first `k` elements of `p` spell `q` (M4: `p == q` or
//! `p` starts with `q + "/"`). So a lookup cuts `p` after each element
//! count `k` that some Prefix rule of the level has, probes `paths` with
//! that cut, and keeps the deepest hit. The cost is one pass over the path
//! plus one hash probe per distinct rule depth of the level (a handful in
//! practice), each over at most the path: it does not grow with the number
//! of rules, here or on other hosts, and a single deep rule costs a single
//! probe.

use std::fmt;
use std::hash::{BuildHasher, Hasher};

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use crate::validation::HostRule;

use super::MatchKind;

/// Where a string is in the arena. Tables too large for `u32` offsets (over
/// 4 GiB of host and path text) are not representable: their spans are
/// clamped and simply never match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HostSlot {
    name: Span,
    wildcard: bool,
    level: u32,
}

/// A path rule's key and entry, in 16 bytes: the Exact flag rides in the
/// top bit of the level number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PathSlot {
    level_and_kind: u32,
    path: Span,
    target: u32,
}

const EXACT_BIT: u32 = 1 << 31;

fn level_and_kind(level: u32, exact: bool) -> u32 {
    if exact { level | EXACT_BIT } else { level & !EXACT_BIT }
}

/// One host level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Level {
    /// Which hosts it serves.
    pub(crate) host: HostRule,
    /// Its default backend (M7).
    pub(crate) default: Option<u32>,
    /// The Prefix rule `/`, which matches every path.
    root: Option<u32>,
    /// Whether any Exact rule is in `paths` for this level.
    exact: bool,
    /// The element counts of this level's Prefix rules (other than `/`),
    /// ascending, each once: the only cuts of a path worth probing.
    depths: Vec<u32>,
}

#[derive(Clone)]
pub(crate) struct Index {
    text: String,
    state: RandomState,
    hosts: HashTable<HostSlot>,
    host_less: Option<u32>,
    levels: Vec<Level>,
    paths: HashTable<PathSlot>,
}

impl Default for Index {
    fn default() -> Self {
        Self {
            text: String::new(),
            state: RandomState::default(),
            hosts: HashTable::new(),
            host_less: None,
            levels: Vec::new(),
            paths: HashTable::new(),
        }
    }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

impl Index {
    fn text(&self, span: Span) -> &str {
        let start = to_usize(span.start);
        self.text
            .get(start..start.saturating_add(to_usize(span.len)))
            .unwrap_or("\u{0}")
    }

    fn host_hash(&self, wildcard: bool, name: &[u8]) -> u64 {
        let mut hasher = self.state.build_hasher();
        hasher.write_u8(u8::from(wildcard));
        hasher.write(name);
        hasher.finish()
    }

    fn path_hash(&self, level: u32, exact: bool, path: &str) -> u64 {
        path_hash(&self.state, level, exact, path)
    }

    fn push_text(&mut self, text: &str) -> Span {
        let span = Span {
            start: to_u32(self.text.len()),
            len: to_u32(text.len()),
        };
        self.text.push_str(text);
        span
    }

    fn find_host(&self, wildcard: bool, name: &str) -> Option<u32> {
        self.find_host_bytes(wildcard, name.as_bytes())
    }

    fn find_host_bytes(&self, wildcard: bool, name: &[u8]) -> Option<u32> {
        let hash = self.host_hash(wildcard, name);
        self.hosts
            .find(hash, |slot| {
                slot.wildcard == wildcard && self.text(slot.name).as_bytes() == name
            })
            .map(|slot| slot.level)
    }

    /// The level of `name` if it is, byte for byte, an exact host of some
    /// rule: then it is also a canonical host name (rule hosts are).
    pub(crate) fn exact_host(&self, name: &[u8]) -> Option<u32> {
        self.find_host_bytes(false, name)
    }

    fn find_slot(&self, level: u32, exact: bool, path: &str) -> Option<u32> {
        let hash = self.path_hash(level, exact, path);
        self.paths
            .find(hash, |slot| {
                slot.level_and_kind == level_and_kind(level, exact) && self.text(slot.path) == path
            })
            .map(|slot| slot.target)
    }

    /// Gives back spare capacity once the build is done.
    pub(crate) fn shrink_to_fit(&mut self) {
        let Self {
            hosts,
            paths,
            text,
            state,
            levels,
            ..
        } = self;
        hosts.shrink_to_fit(|slot| rehash_host(state, text, slot));
        paths.shrink_to_fit(|slot| rehash_path(state, text, slot));
        levels.shrink_to_fit();
        text.shrink_to_fit();
    }

    /// Makes room for about `paths` path rules on `hosts` hosts.
    pub(crate) fn reserve(&mut self, hosts: usize, paths: usize) {
        let Self {
            hosts: host_table,
            paths: path_table,
            text,
            state,
            ..
        } = self;
        host_table.reserve(hosts, |slot| rehash_host(state, text, slot));
        path_table.reserve(paths, |slot| rehash_path(state, text, slot));
        self.levels.reserve(hosts);
    }

    /// The level for `host`, created (empty) if new.
    pub(crate) fn level_for(&mut self, host: &HostRule) -> u32 {
        let (wildcard, name) = match host {
            HostRule::Any => {
                if let Some(level) = self.host_less {
                    return level;
                }
                let level = self.new_level(host);
                self.host_less = Some(level);
                return level;
            }
            HostRule::Exact(name) => (false, name),
            HostRule::Wildcard(parent) => (true, parent),
        };
        if let Some(level) = self.find_host(wildcard, name) {
            return level;
        }
        let level = self.new_level(host);
        let name = self.push_text(name);
        let slot = HostSlot { name, wildcard, level };
        let hash = self.host_hash(wildcard, self.text(name).as_bytes());
        let Self { hosts, text, state, .. } = self;
        hosts.insert_unique(hash, slot, |slot| rehash_host(state, text, slot));
        level
    }

    fn new_level(&mut self, host: &HostRule) -> u32 {
        self.levels.push(Level {
            host: host.clone(),
            default: None,
            root: None,
            exact: false,
            depths: Vec::new(),
        });
        to_u32(self.levels.len() - 1)
    }

    /// Adds a path rule; returns the entry already holding that key, if any
    /// (and then changes nothing).
    pub(crate) fn insert_path(&mut self, level: u32, kind: MatchKind, key: &str, target: u32) -> Option<u32> {
        let exact = kind == MatchKind::Exact;
        let depth = to_u32(elements(key).count());
        let info = self.levels.get_mut(to_usize(level))?;
        if !exact && depth == 0 {
            // The Prefix rule `/` (empty once stripped).
            return match info.root {
                Some(existing) => Some(existing),
                None => {
                    info.root = Some(target);
                    None
                }
            };
        }
        let hash = self.path_hash(level, exact, key);
        let Self { paths, text, state, .. } = self;
        let entry = paths.entry(
            hash,
            |slot| slot.level_and_kind == level_and_kind(level, exact) && text_of(text, slot.path) == key,
            |slot| rehash_path(state, text, slot),
        );
        let vacant = match entry {
            Entry::Occupied(occupied) => return Some(occupied.get().target),
            Entry::Vacant(vacant) => vacant,
        };
        let path = Span {
            start: to_u32(text.len()),
            len: to_u32(key.len()),
        };
        text.push_str(key);
        vacant.insert(PathSlot {
            level_and_kind: level_and_kind(level, exact),
            path,
            target,
        });
        let info = self.levels.get_mut(to_usize(level))?;
        if exact {
            info.exact = true;
        } else if let Err(at) = info.depths.binary_search(&depth) {
            info.depths.insert(at, depth);
        }
        None
    }

    /// Sets a level's default backend unless it has one; returns the one it has.
    pub(crate) fn set_default(&mut self, level: u32, target: u32) -> Option<u32> {
        let info = self.levels.get_mut(to_usize(level))?;
        match info.default {
            Some(existing) => Some(existing),
            None => {
                info.default = Some(target);
                None
            }
        }
    }

    pub(crate) fn level(&self, level: u32) -> Option<&Level> {
        self.levels.get(to_usize(level))
    }

    /// The level M1 selects for `host`: the exact host if any rule names it,
    /// else the wildcard of its parent, else the host-less level.
    pub(crate) fn select(&self, host: Option<&str>) -> Option<u32> {
        if let Some(name) = host {
            if let Some(level) = self.find_host(false, name) {
                return Some(level);
            }
            if let Some((_, parent)) = name.split_once('.')
                && let Some(level) = self.find_host(true, parent)
            {
                return Some(level);
            }
        }
        self.host_less
    }

    /// The level of `host`, if it has one.
    pub(crate) fn existing(&self, host: &HostRule) -> Option<u32> {
        match host {
            HostRule::Any => self.host_less,
            HostRule::Exact(name) => self.find_host(false, name),
            HostRule::Wildcard(parent) => self.find_host(true, parent),
        }
    }

    /// The levels a request for `host` may use, most specific first (M1):
    /// the exact host, the wildcard of its parent, the host-less level.
    pub(crate) fn levels_for(&self, host: Option<&str>) -> [Option<u32>; 3] {
        let (exact, wildcard) = match host {
            Some(name) => (
                self.find_host(false, name),
                name.split_once('.')
                    .and_then(|(_, parent)| self.find_host(true, parent)),
            ),
            // H4: IP literals and requests without a host use host-less rules.
            None => (None, None),
        };
        [exact, wildcard, self.host_less]
    }

    /// Every path rule of `level` matching `path`: the Exact one, the
    /// Prefix `/`, and a Prefix rule at each depth that has one (deepest
    /// last). For explanations, not lookups.
    pub(crate) fn matching(&self, level: u32, path: &str) -> Vec<u32> {
        let Some(info) = self.levels.get(to_usize(level)) else {
            return Vec::new();
        };
        let mut found: Vec<u32> = self.find_slot(level, true, path).into_iter().collect();
        found.extend(info.root);
        let mut end = 0;
        let mut depth: u32 = 0;
        for element in path.strip_prefix('/').map(|rest| rest.split('/')).into_iter().flatten() {
            depth += 1;
            end += 1 + element.len();
            if info.depths.binary_search(&depth).is_ok()
                && let Some(target) = path.get(..end).and_then(|cut| self.find_slot(level, false, cut))
            {
                found.push(target);
            }
        }
        found
    }

    /// The best path rule of `level` for the canonical `path`: an Exact
    /// match, else the deepest Prefix match (M5).
    pub(crate) fn find_path(&self, level: u32, path: &str) -> Option<u32> {
        let info = self.levels.get(to_usize(level))?;
        if info.exact
            && let Some(target) = self.find_slot(level, true, path)
        {
            return Some(target);
        }
        let mut best = info.root;
        let Some(&deepest) = info.depths.last() else {
            return best;
        };
        // Walk the path's element boundaries once, probing only at the
        // element counts some rule of this level has: the work is the path's
        // length plus one probe per distinct rule depth.
        let bytes = path.as_bytes();
        let mut wanted = info.depths.iter().copied().peekable();
        let mut depth: u32 = 0;
        let mut start = 1;
        while depth < deepest {
            let end = bytes
                .get(start..)
                .and_then(|rest| rest.iter().position(|&b| b == b'/'))
                .map_or(bytes.len(), |at| start + at);
            depth += 1;
            if wanted.next_if_eq(&depth).is_some()
                && let Some(cut) = path.get(..end)
                && let Some(target) = self.find_slot(level, false, cut)
            {
                best = Some(target);
            }
            if end >= bytes.len() {
                break;
            }
            start = end + 1;
        }
        best
    }
}

fn text_of(text: &str, span: Span) -> &str {
    let start = to_usize(span.start);
    text.get(start..start.saturating_add(to_usize(span.len)))
        .unwrap_or("\u{0}")
}

fn rehash_host(state: &RandomState, text: &str, slot: &HostSlot) -> u64 {
    let mut hasher = state.build_hasher();
    hasher.write_u8(u8::from(slot.wildcard));
    hasher.write(text_of(text, slot.name).as_bytes());
    hasher.finish()
}

fn rehash_path(state: &RandomState, text: &str, slot: &PathSlot) -> u64 {
    let (level, exact) = (slot.level_and_kind & !EXACT_BIT, slot.level_and_kind & EXACT_BIT != 0);
    path_hash(state, level, exact, text_of(text, slot.path))
}

fn path_hash(state: &RandomState, level: u32, exact: bool, path: &str) -> u64 {
    let mut hasher = state.build_hasher();
    hasher.write_u32(level);
    hasher.write_u8(u8::from(exact));
    hasher.write(path.as_bytes());
    hasher.finish()
}

/// What follows the leading `/`, split at `/` (nothing for the empty key).
fn elements(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').map(|rest| rest.split('/')).into_iter().flatten()
}

/// Two indexes are equal when they hold the same levels and the same keys
/// leading to the same entries, whatever their hash seeds.
impl PartialEq for Index {
    fn eq(&self, other: &Self) -> bool {
        self.levels == other.levels
            && self.host_less == other.host_less
            && self.hosts.len() == other.hosts.len()
            && self.paths.len() == other.paths.len()
            && self
                .hosts
                .iter()
                .all(|slot| other.find_host(slot.wildcard, self.text(slot.name)) == Some(slot.level))
            && self.paths.iter().all(|slot| {
                let (level, exact) = (slot.level_and_kind & !EXACT_BIT, slot.level_and_kind & EXACT_BIT != 0);
                other.find_slot(level, exact, self.text(slot.path)) == Some(slot.target)
            })
    }
}

impl Eq for Index {}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index")
            .field("levels", &self.levels.len())
            .field("hosts", &self.hosts.len())
            .field("paths", &self.paths.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes(paths: &[&str]) -> (Index, u32) {
        let mut index = Index::default();
        let level = index.level_for(&HostRule::Any);
        for (target, path) in paths.iter().enumerate() {
            assert_eq!(index.insert_path(level, MatchKind::Prefix, path, to_u32(target)), None);
        }
        (index, level)
    }

    #[test]
    fn m4_deepest_element_wise_prefix() {
        let (mut index, level) = prefixes(&["", "/aaa", "/aaa/bbb"]);
        assert_eq!(index.insert_path(level, MatchKind::Prefix, "/aaa", 9), Some(1));
        let cases = [
            ("/", Some(0)),
            ("/aaa", Some(1)),
            ("/aaa/", Some(1)),
            ("/aaab", Some(0)),
            ("/aaa/bb", Some(1)),
            ("/aaa/bbb", Some(2)),
            ("/aaa/bbb/", Some(2)),
            ("/aaa/bbb/ccc", Some(2)),
            ("/aaa/bbbxyz", Some(1)),
        ];
        for (path, expected) in cases {
            assert_eq!(index.find_path(level, path), expected, "{path}");
        }
    }

    #[test]
    fn m4_without_root_rule_misses() {
        let (index, level) = prefixes(&["/foo"]);
        assert_eq!(index.find_path(level, "/foobar"), None);
        assert_eq!(index.find_path(level, "/FOO"), None);
        assert_eq!(index.find_path(level, "/"), None);
        assert_eq!(index.find_path(level, "/foo/bar"), Some(0));
    }

    #[test]
    fn m4_empty_elements_count() {
        // `/a/` once stripped (from ImplementationSpecific `/a//`) has the
        // elements `a` and ``: it matches `/a/` itself, not `/a/b`.
        let (index, level) = prefixes(&["/a/", "/"]);
        assert_eq!(index.find_path(level, "/a/"), Some(0));
        assert_eq!(index.find_path(level, "/a/b"), None);
        assert_eq!(index.find_path(level, "/"), Some(1));
        assert_eq!(index.find_path(level, "//x"), Some(1));
    }

    #[test]
    fn m4_rules_deeper_than_the_depth_mask() {
        let deep: String = (0..70).map(|i| format!("/s{i}")).collect();
        let (index, level) = prefixes(&[deep.as_str(), "/s0"]);
        assert_eq!(index.find_path(level, &format!("{deep}/more")), Some(0));
        assert_eq!(index.find_path(level, &deep[..deep.len() - 1]), Some(1));
    }

    #[test]
    fn m3_m5_exact_wins_and_is_whole_path() {
        let (mut index, level) = prefixes(&["/foo"]);
        assert_eq!(index.insert_path(level, MatchKind::Exact, "/foo", 7), None);
        assert_eq!(index.insert_path(level, MatchKind::Exact, "/foo", 8), Some(7));
        assert_eq!(index.find_path(level, "/foo"), Some(7));
        assert_eq!(index.find_path(level, "/foo/"), Some(0));
    }

    #[test]
    fn m1_hosts_and_wildcards_are_separate_keys() {
        let mut index = Index::default();
        let exact = index.level_for(&HostRule::Exact("a.com".into()));
        let wildcard = index.level_for(&HostRule::Wildcard("a.com".into()));
        assert_ne!(exact, wildcard);
        assert_eq!(index.level_for(&HostRule::Exact("a.com".into())), exact);
        let levels = index.levels_for(Some("x.a.com"));
        assert_eq!(levels, [None, Some(wildcard), None]);
        let levels = index.levels_for(Some("a.com"));
        assert_eq!(levels, [Some(exact), None, None]);
    }

    #[test]
    fn equality_ignores_hash_seeds() {
        let (a, _) = prefixes(&["/x", "/y/z"]);
        let (b, _) = prefixes(&["/x", "/y/z"]);
        let (c, _) = prefixes(&["/x", "/y/w"]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
