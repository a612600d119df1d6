//! Free-form Ingress objects (arbitrary text in every field, biased towards
//! valid values) through `IngressSet::apply`, `compile` and the report.
//!
//! Nothing may panic; compiling the same objects in reverse order gives an
//! equal table and report (M6 is an order on the objects, not on their
//! arrival), also when each object's arrival is compiled reusing the table
//! before (`compile_reusing`); and every path rule of every served object is accounted for
//! exactly once: as a table entry, or as a conflict or never-matches
//! diagnostic, or under a host no request can carry.
#![no_main]

use std::collections::BTreeMap;

use ingress_core::IngressSet;
use ingress_core::table::{DiagnosticKind, Matched};
use ingress_core::validation::validate;
use ingress_core_fuzz::objects::FreeObjects;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: FreeObjects| {
    let options = input.options.table();
    let objects = input.unique();
    let mut forward = IngressSet::new();
    for object in &objects {
        forward.apply(object);
        if let Err(rejection) = validate(object) {
            let _ = rejection.to_string();
        }
    }
    let table = forward.compile(&options);
    let _ = table.report().to_string();
    for target in table.targets() {
        let _ = (target.backend().to_string(), target.level().to_string());
        if let Some(rule) = target.matched().rule() {
            let _ = (rule.to_string(), rule.field());
        }
    }

    // Backwards, one object at a time, each compile sharing what it can of
    // the one before: the same table as a fresh compile of either order.
    let mut backward = IngressSet::new();
    let mut reusing = backward.compile(&options);
    for object in objects.iter().rev() {
        backward.apply(object);
        reusing = backward.compile_reusing(&options, &reusing);
    }
    assert_eq!(table, backward.compile(&options), "input order changed the table");
    assert_eq!(table, reusing, "a compile sharing the last table's entries differs");

    check_accounted(&forward, &table);
});

/// Every path of every served object: one table entry or one diagnostic.
fn check_accounted(set: &IngressSet, table: &ingress_core::RouteTable) {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut note = |object: String, field: String| *seen.entry((object, field)).or_default() += 1;
    for target in table.targets() {
        if let Matched::Rule(rule) = target.matched() {
            note(target.ingress().to_string(), rule.field());
        }
    }
    for diagnostic in table.report().diagnostics() {
        let object = diagnostic.object.to_string();
        match &diagnostic.kind {
            DiagnosticKind::Conflict { field, .. } | DiagnosticKind::NeverMatches { field, .. } => {
                note(object, field.clone());
            }
            _ => {}
        }
    }
    for ingress in set.serving() {
        let object = ingress.key().to_string();
        for (r, rule) in ingress.rules().iter().enumerate() {
            let host_field = format!("spec.rules[{r}].host");
            let host_refused = seen.contains_key(&(object.clone(), host_field));
            for p in 0..rule.paths().map_or(0, <[_]>::len) {
                let field = format!("spec.rules[{r}].http.paths[{p}]");
                let count = seen.get(&(object.clone(), field.clone())).copied().unwrap_or(0);
                let expected = usize::from(!host_refused);
                assert_eq!(
                    count,
                    expected,
                    "{object} {field} is accounted for {count} times\n{}",
                    table.report()
                );
            }
        }
    }
}
