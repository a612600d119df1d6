//! The Prefix index of one host level: a trie over path elements.
//!
//! A Prefix rule `q` (one trailing `/` stripped) matches a path `p` when
//! `p == q` or `p` starts with `q + "/"` (M4). Split both at `/` after the
//! leading one, and that is exactly "the elements of `q` are a prefix of the
//! elements of `p`", so walking `p`'s elements down the trie and keeping the
//! deepest node that holds a rule finds the longest matching rule in time
//! proportional to the path, whatever the number of rules.

use std::collections::HashMap;

use foldhash::fast::RandomState;

/// Children kept in a vector up to this many; a hash map above.
const FEW: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PrefixTrie {
    /// `nodes[0]` is the root, the rule `/` (empty after stripping).
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Node {
    target: Option<usize>,
    children: Children,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Children {
    Few(Vec<(Box<str>, usize)>),
    Many(HashMap<Box<str>, usize, RandomState>),
}

impl Default for Children {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl Children {
    fn get(&self, element: &str) -> Option<usize> {
        match self {
            Self::Few(few) => few.iter().find(|(key, _)| &**key == element).map(|&(_, node)| node),
            Self::Many(many) => many.get(element).copied(),
        }
    }

    fn insert(&mut self, element: &str, node: usize) {
        match self {
            Self::Few(few) if few.len() < FEW => few.push((element.into(), node)),
            Self::Few(few) => {
                let mut many: HashMap<_, _, _> = few.drain(..).collect();
                many.insert(element.into(), node);
                *self = Self::Many(many);
            }
            Self::Many(many) => {
                many.insert(element.into(), node);
            }
        }
    }
}

/// The elements of a path or stripped rule: what follows the leading `/`,
/// split at `/`. The root rule (empty) has none.
fn elements(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').map(|rest| rest.split('/')).into_iter().flatten()
}

impl PrefixTrie {
    /// Adds the rule with stripped path `prefix` (empty, or starting with
    /// `/`). Returns the target already there, if any, and leaves it.
    pub(crate) fn insert(&mut self, prefix: &str, target: usize) -> Option<usize> {
        if self.nodes.is_empty() {
            self.nodes.push(Node::default());
        }
        let mut at = 0;
        for element in elements(prefix) {
            let next = self.nodes.get(at).and_then(|node| node.children.get(element));
            at = match next {
                Some(next) => next,
                None => {
                    let new = self.nodes.len();
                    self.nodes.push(Node::default());
                    if let Some(node) = self.nodes.get_mut(at) {
                        node.children.insert(element, new);
                    }
                    new
                }
            };
        }
        let node = self.nodes.get_mut(at)?;
        match node.target {
            Some(existing) => Some(existing),
            None => {
                node.target = Some(target);
                None
            }
        }
    }

    /// The target of the longest rule matching `path`.
    pub(crate) fn longest_match(&self, path: &str) -> Option<usize> {
        let mut node = self.nodes.first()?;
        let mut best = node.target;
        for element in elements(path) {
            match node.children.get(element).and_then(|next| self.nodes.get(next)) {
                Some(next) => node = next,
                None => break,
            }
            best = node.target.or(best);
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m4_longest_element_wise_prefix() {
        let mut trie = PrefixTrie::default();
        assert_eq!(trie.insert("", 0), None);
        assert_eq!(trie.insert("/aaa", 1), None);
        assert_eq!(trie.insert("/aaa/bbb", 2), None);
        assert_eq!(trie.insert("/aaa", 9), Some(1));
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
            assert_eq!(trie.longest_match(path), expected, "{path}");
        }
    }

    #[test]
    fn m4_without_root_rule_misses() {
        let mut trie = PrefixTrie::default();
        assert_eq!(trie.longest_match("/x"), None);
        trie.insert("/foo", 0);
        assert_eq!(trie.longest_match("/foobar"), None);
        assert_eq!(trie.longest_match("/FOO"), None);
        assert_eq!(trie.longest_match("/foo/bar"), Some(0));
    }

    #[test]
    fn many_children_switch_to_a_map() {
        let mut trie = PrefixTrie::default();
        for i in 0..100 {
            trie.insert(&format!("/p{i}"), i);
        }
        for i in 0..100 {
            assert_eq!(trie.longest_match(&format!("/p{i}/x")), Some(i));
        }
        assert_eq!(trie.longest_match("/p100"), None);
    }
}
