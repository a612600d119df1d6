//! One host level: its Exact index, its Prefix index, its default backend.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use super::trie::PrefixTrie;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Level {
    pub(crate) exact: HashMap<Box<str>, usize, RandomState>,
    pub(crate) prefix: PrefixTrie,
    pub(crate) default: Option<usize>,
}

impl Level {
    /// The best path rule for `path`: an Exact match, else the longest
    /// Prefix match (M5).
    pub(crate) fn find_path(&self, path: &str) -> Option<usize> {
        if !self.exact.is_empty()
            && let Some(&target) = self.exact.get(path)
        {
            return Some(target);
        }
        self.prefix.longest_match(path)
    }
}
