//! Section 7 of the contract: the Kubernetes docs' examples table, row by row.

mod common;

use common::*;
use ingress_core::{HttpIngressPath, RouteTable, TableOptions};

/// One row: the rules (`P` Prefix, `E` Exact, each to a service named after
/// its position), the requests, and what each must match: the index of the
/// rule, or `None`.
type Row = (&'static [(char, &'static str)], &'static [&'static str], Option<usize>);

const ROWS: &[Row] = &[
    (&[('P', "/")], &["/", "/anything", "/a/b/c/"], Some(0)),
    (&[('E', "/foo")], &["/foo"], Some(0)),
    (&[('E', "/foo")], &["/bar"], None),
    (&[('E', "/foo")], &["/foo/"], None),
    (&[('E', "/foo/")], &["/foo"], None),
    (&[('P', "/foo")], &["/foo", "/foo/"], Some(0)),
    (&[('P', "/foo/")], &["/foo", "/foo/"], Some(0)),
    (&[('P', "/aaa/bb")], &["/aaa/bbb"], None),
    (&[('P', "/aaa/bbb")], &["/aaa/bbb"], Some(0)),
    (&[('P', "/aaa/bbb/")], &["/aaa/bbb"], Some(0)),
    (&[('P', "/aaa/bbb")], &["/aaa/bbb/"], Some(0)),
    (&[('P', "/aaa/bbb")], &["/aaa/bbb/ccc"], Some(0)),
    (&[('P', "/aaa/bbb")], &["/aaa/bbbxyz"], None),
    (&[('P', "/"), ('P', "/aaa")], &["/aaa/ccc"], Some(1)),
    (&[('P', "/"), ('P', "/aaa"), ('P', "/aaa/bbb")], &["/aaa/bbb"], Some(2)),
    (&[('P', "/"), ('P', "/aaa"), ('P', "/aaa/bbb")], &["/ccc"], Some(0)),
    (&[('P', "/aaa")], &["/ccc"], None),
    (&[('P', "/foo"), ('E', "/foo")], &["/foo"], Some(1)),
];

fn build(rules: &[(char, &str)], with_default: bool) -> RouteTable {
    let paths: Vec<HttpIngressPath> = rules
        .iter()
        .enumerate()
        .map(|(i, (kind, path))| {
            let service = format!("rule{i}");
            if *kind == 'E' {
                exact(path, &service)
            } else {
                prefix(path, &service)
            }
        })
        .collect();
    let mut ingress = ingress("example", 1).with_rule(Some("foo.bar.com"), paths);
    if with_default {
        ingress = ingress.with_default_backend(svc("fallback"));
    }
    RouteTable::from_ingresses([ingress], &TableOptions::default())
}

#[test]
fn section7_docs_examples_table() {
    for (rules, requests, expected) in ROWS {
        for with_default in [false, true] {
            let table = build(rules, with_default);
            assert!(table.report().is_empty(), "{rules:?}: {}", table.report());
            for request in *requests {
                let want = match (expected, with_default) {
                    (Some(index), _) => format!("rule{index}"),
                    (None, false) => "404".to_owned(),
                    // "none (default backend)": unmatched requests go to it.
                    (None, true) => "default:fallback".to_owned(),
                };
                assert_eq!(
                    answer(&table, Some("foo.bar.com"), request),
                    want,
                    "rules {rules:?}, request {request}"
                );
            }
        }
    }
}
