//! Keeps the contract's promise that every rule has a test.
//!
//! `SEMANTICS.md` gives each rule an id (`O1`, `P3`, `M4`, ...). This test
//! reads the ids from it and looks through every Rust file of the workspace
//! for a test function whose name starts with the id in lower case
//! (`m4_prefix_is_element_wise`). A rule in a section marked **Not
//! implemented yet** must have no such test; every other rule must have one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A rule id from the contract, and whether it is built yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    id: String,
    pending: bool,
}

/// The rules of `text`, in order: lines of the form `- **X9.** ...` (or
/// `- **X9. [choice]** ...`). A `## ` section holding a line that starts
/// with `**Not implemented yet**` marks its rules pending.
fn rules(text: &str) -> Vec<Rule> {
    let mut found = Vec::new();
    for section in text.split("\n## ") {
        let pending = section.lines().any(|line| line.starts_with("**Not implemented yet**"));
        for line in section.lines() {
            if let Some(id) = rule_id(line) {
                found.push(Rule { id, pending });
            }
        }
    }
    found
}

/// `X9` from `- **X9.** ...` or `- **X9. \[choice\]** ...`.
fn rule_id(line: &str) -> Option<String> {
    let rest = line.strip_prefix("- **")?;
    let (id, _) = rest.split_once('.')?;
    let mut chars = id.chars();
    let letter = chars.next()?;
    let digits = chars.as_str();
    let well_formed = letter.is_ascii_uppercase()
        && !digits.is_empty()
        && digits.len() <= 2
        && digits.bytes().all(|byte| byte.is_ascii_digit());
    well_formed.then(|| id.to_owned())
}

/// Names of test functions in `source`: a `fn name` whose attributes (the
/// attribute and doc lines right above it) include a test attribute
/// (`#[test]`, `#[tokio::test]`, ...).
fn test_names(source: &str) -> Vec<String> {
    let lines: Vec<&str> = source.lines().collect();
    let mut names = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let signature = trimmed
            .strip_prefix("async fn ")
            .or_else(|| trimmed.strip_prefix("fn "));
        let Some(signature) = signature else { continue };
        let name: String = signature
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let attributed = lines
            .get(..index)
            .unwrap_or_default()
            .iter()
            .rev()
            .map(|above| above.trim_start())
            .take_while(|above| above.starts_with("#[") || above.starts_with("///") || above.starts_with(')'))
            .any(|above| above.starts_with("#[") && above.contains("test"));
        if attributed && !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// Every `.rs` file under `dir`, skipping build output and VCS data.
fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            into.push(path);
        }
    }
}

fn workspace_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir).to_path_buf()
}

#[test]
fn every_rule_of_the_contract_has_a_test_named_after_it() {
    let contract = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("SEMANTICS.md"))
        .expect("SEMANTICS.md next to Cargo.toml");
    let rules = rules(&contract);
    assert!(rules.len() >= 40, "too few rule ids read from SEMANTICS.md: {rules:?}");

    let mut files = Vec::new();
    rust_files(&workspace_root(), &mut files);
    let mut tests_by_rule: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Ok(source) = fs::read_to_string(file) else { continue };
        for name in test_names(&source) {
            if let Some((prefix, _)) = name.split_once('_') {
                tests_by_rule
                    .entry(prefix.to_ascii_uppercase())
                    .or_default()
                    .insert(name.clone());
            }
        }
    }

    let missing: Vec<&str> = rules
        .iter()
        .filter(|rule| !rule.pending && !tests_by_rule.contains_key(&rule.id))
        .map(|rule| rule.id.as_str())
        .collect();
    assert!(missing.is_empty(), "rules without a test named after them: {missing:?}");

    let tested_but_pending: Vec<(&str, &BTreeSet<String>)> = rules
        .iter()
        .filter(|rule| rule.pending)
        .filter_map(|rule| tests_by_rule.get(&rule.id).map(|tests| (rule.id.as_str(), tests)))
        .collect();
    assert!(
        tested_but_pending.is_empty(),
        "rules marked 'Not implemented yet' in SEMANTICS.md now have tests; remove the mark: {tested_but_pending:?}"
    );
}

#[test]
fn rule_ids_are_read_from_list_items_only() {
    let text = "intro **V1.** not a rule\n\n## 1. A\n\n- **O1.** first\n- **V8. \\[choice\\]** second\n  - **x1.** no\n\
                \n## 5. B\n\n**Not implemented yet**\n\n- **T1.** later\n- **Words.** no\n";
    assert_eq!(
        rules(text),
        vec![
            Rule {
                id: "O1".to_owned(),
                pending: false
            },
            Rule {
                id: "V8".to_owned(),
                pending: false
            },
            Rule {
                id: "T1".to_owned(),
                pending: true
            },
        ]
    );
}

#[test]
fn only_functions_with_a_test_attribute_count() {
    let source = "#[test]\nfn m4_a() {}\n\nfn m5_helper() {}\n\n#[tokio::test(flavor = \"current_thread\")]\nasync fn b2_b() {}\n";
    assert_eq!(test_names(source), vec!["m4_a".to_owned(), "b2_b".to_owned()]);
}
