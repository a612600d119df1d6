//! Endpoint resolution (B1-B3): Service ports by number and name, named
//! targetPorts per EndpointSlice, ready endpoints only, and the reasons
//! and findings when there are none.

// The helpers parse test inputs they were given literally: a malformed one
// is a broken test, so they may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, from_yaml};
use ingress_core::validation::{ServiceBackend, ServicePort};
use ingress_kube::{EndpointProblem, EndpointTable, Format, Manifests, NoEndpoints};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;

/// `namespace/name:port`, the port a number or a name.
fn backend(spec: &str) -> ServiceBackend {
    let (namespace, rest) = spec.split_once('/').unwrap();
    let (name, port) = rest.rsplit_once(':').unwrap();
    let port = match port.parse() {
        Ok(number) => ServicePort::Number(number),
        Err(_) => ServicePort::Name(port.into()),
    };
    ServiceBackend {
        namespace: namespace.into(),
        name: name.into(),
        port,
    }
}

/// The resolved addresses of `spec` as strings, in table order.
fn resolved(table: &EndpointTable, spec: &str) -> Result<Vec<String>, NoEndpoints> {
    let addresses = table.resolve(&backend(spec))?;
    Ok(addresses.iter().map(ToString::to_string).collect())
}

/// `tests/fixtures/endpoints/<name>`, loaded without errors.
fn load(name: &str) -> (Manifests, EndpointTable) {
    let manifests = Manifests::load(fixture("endpoints").join(name)).unwrap();
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    let table = EndpointTable::from_manifests(&manifests);
    (manifests, table)
}

/// The findings as `object: problem` lines, without sources.
fn problems(table: &EndpointTable) -> Vec<String> {
    let findings = table.findings().iter();
    findings
        .map(|f| format!("{}: {} [{}]", f.object, f.problem, f.problem.rule()))
        .collect()
}

/// A Service `web` with one unnamed port 80 and one EndpointSlice whose
/// unnamed port is 8080, with `endpoints` (YAML list items).
fn web_with_endpoints(endpoints: &str) -> EndpointTable {
    let yaml = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{ name: web }}\nspec: {{ ports: [{{ port: 80 }}] }}\n---\n\
         apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n\
         metadata: {{ name: web-1, labels: {{ kubernetes.io/service-name: web }} }}\n\
         addressType: IPv4\nports: [{{ port: 8080 }}]\nendpoints:\n{endpoints}"
    );
    let manifests = from_yaml(&yaml);
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    EndpointTable::from_manifests(&manifests)
}

fn ok(addresses: &[&str]) -> Result<Vec<String>, NoEndpoints> {
    Ok(addresses.iter().map(|a| (*a).to_owned()).collect())
}

#[test]
fn b1_port_by_number_and_by_name_and_why_not() {
    let (_, table) = load("named-target-port.yaml");
    let http = ok(&["10.244.1.5:8081", "10.244.1.17:8080", "10.244.3.2:8081"]);
    let grpc = ok(&["10.244.1.5:9090", "10.244.1.17:9090", "10.244.3.2:9090"]);
    let cases = [
        ("shop/shop-api:80", http.clone()),
        ("shop/shop-api:http", http),
        ("shop/shop-api:9090", grpc.clone()),
        ("shop/shop-api:grpc", grpc),
        // The targetPort, by number or name, is not a Service port.
        ("shop/shop-api:8080", Err(NoEndpoints::UnknownPort)),
        ("shop/shop-api:http-api", Err(NoEndpoints::UnknownPort)),
        // UDP ports are not served.
        ("shop/shop-api:53", Err(NoEndpoints::UnknownPort)),
        ("shop/shop-api:dns", Err(NoEndpoints::UnknownPort)),
        // The Service is `namespace/name`.
        ("shop/shop-web:80", Err(NoEndpoints::UnknownService)),
        ("default/shop-api:80", Err(NoEndpoints::UnknownService)),
    ];
    for (spec, expected) in cases {
        assert_eq!(resolved(&table, spec), expected, "{spec}");
    }
    assert_eq!(problems(&table), Vec::<String>::new());
}

#[test]
fn b1_named_target_port_resolves_per_slice() {
    // Port "http" is 8080 in one slice and 8081 in the other: each slice's
    // endpoints get their own slice's number.
    let (manifests, table) = load("named-target-port.yaml");
    assert_eq!(manifests.endpoint_slices().len(), 2);
    let addresses = table.resolve(&backend("shop/shop-api:http")).unwrap();
    let ports: Vec<(String, u16)> = addresses.iter().map(|a| (a.ip().to_string(), a.port())).collect();
    assert_eq!(
        ports,
        [
            ("10.244.1.5".to_owned(), 8081),
            ("10.244.1.17".to_owned(), 8080),
            ("10.244.3.2".to_owned(), 8081)
        ]
    );
}

#[test]
fn b1_seed_scenario_resolves_nginx_svc() {
    let (_, table) = load("seed.yaml");
    assert_eq!(resolved(&table, "default/nginx-svc:80"), ok(&["127.0.0.1:8081"]));
    assert_eq!(resolved(&table, "default/nginx-svc:http"), ok(&["127.0.0.1:8081"]));
    assert!(table.findings().is_empty());
}

#[test]
fn b1_ready_is_true_or_unset() {
    let cases = [
        ("conditions: { ready: true }", true),
        ("conditions: { ready: true, serving: true, terminating: true }", true),
        ("conditions: { ready: null }", true),
        ("conditions: {}", true),
        ("nodeName: worker-1", true),
        ("conditions: { ready: false }", false),
        ("conditions: { ready: false, serving: true }", false),
        ("conditions: { ready: false, serving: true, terminating: true }", false),
        ("conditions: { serving: false, terminating: true, ready: false }", false),
    ];
    for (conditions, ready) in cases {
        let table = web_with_endpoints(&format!(
            "- addresses: [\"10.0.0.1\"]\n  {conditions}\n- addresses: [\"10.0.0.2\"]\n  conditions: {{ ready: false }}\n"
        ));
        let expected = if ready {
            ok(&["10.0.0.1:8080"])
        } else {
            Err(NoEndpoints::NoReadyEndpoints)
        };
        assert_eq!(resolved(&table, "default/web:80"), expected, "{conditions}");
    }
}

#[test]
fn b1_every_address_of_a_ready_endpoint_counts_once() {
    let table = web_with_endpoints(
        "- addresses: [\"10.0.0.9\", \"10.0.0.3\"]\n- addresses: [\"10.0.0.3\"]\n- addresses: [\"10.0.0.10\"]\n",
    );
    let expected = ok(&["10.0.0.3:8080", "10.0.0.9:8080", "10.0.0.10:8080"]);
    assert_eq!(resolved(&table, "default/web:80"), expected);
}

#[test]
fn b1_slices_are_merged_and_deduplicated() {
    // The same endpoint in two slices of the Service, as while the
    // controller moves endpoints between slices: listed once.
    let slice = |name: &str, addresses: &str| {
        format!(
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n\
             metadata: {{ name: {name}, namespace: shop, labels: {{ kubernetes.io/service-name: web }} }}\n\
             addressType: IPv4\nports: [{{ name: http, port: 8080 }}]\nendpoints: [{{ addresses: [{addresses}] }}]\n"
        )
    };
    let yaml = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{ name: web, namespace: shop }}\n\
         spec: {{ ports: [{{ name: http, port: 80 }}] }}\n---\n{}---\n{}---\n{}",
        slice("web-a", "10.0.0.2, 10.0.0.1"),
        slice("web-b", "10.0.0.1, 10.0.0.3"),
        slice("web-c", "10.0.0.3"),
    );
    let table = EndpointTable::from_manifests(&from_yaml(&yaml));
    let expected = ok(&["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"]);
    assert_eq!(resolved(&table, "shop/web:http"), expected);
}

#[test]
fn b1_ipv6_and_fqdn_slices() {
    // An unnamed Service port matches slice ports whose name is unset or
    // empty; IPv4 and IPv6 slices merge, the FQDN slice is skipped.
    let (_, table) = load("dual-stack.yaml");
    let expected = ok(&["10.1.0.7:8080", "[fd00:10:1::3]:8080", "[fd00:10:1::7]:8080"]);
    assert_eq!(resolved(&table, "default/web:80"), expected);
    assert_eq!(
        problems(&table),
        [r#"EndpointSlice default/web-fqdn: addressType "FQDN" is not supported; the slice is skipped [B1]"#]
    );
}

#[test]
fn b1_slices_of_other_namespaces_are_ignored() {
    let (_, table) = load("namespaces.yaml");
    assert_eq!(resolved(&table, "blue/web:http"), ok(&["10.0.1.1:8080"]));
    assert_eq!(resolved(&table, "green/web:http"), Err(NoEndpoints::NoEndpointSlices));
    assert_eq!(resolved(&table, "red/web:http"), Err(NoEndpoints::UnknownService));
    assert_eq!(
        problems(&table),
        [
            "Service green/web: port 80 (http) has no ready endpoint: no usable EndpointSlice of the Service lists the port; requests for it are answered 503 [B3]",
            r#"EndpointSlice red/web-red: label kubernetes.io/service-name names Service "web", which does not exist in the slice's namespace [B1]"#,
        ]
    );
}

#[test]
fn b1_a_slice_without_the_port_gives_nothing_for_it() {
    // The Service's port is named "http"; the slice only has "metrics".
    let yaml = "\
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { ports: [{ name: http, port: 80 }, { name: metrics, port: 9113 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: metrics, port: 9113 }, { port: 8080 }]
endpoints: [{ addresses: [10.0.0.1] }]
";
    let table = EndpointTable::from_manifests(&from_yaml(yaml));
    assert_eq!(resolved(&table, "default/web:80"), Err(NoEndpoints::NoEndpointSlices));
    assert_eq!(resolved(&table, "default/web:metrics"), ok(&["10.0.0.1:9113"]));
}

#[test]
fn b1_external_name_services_are_not_supported() {
    let (_, table) = load("findings.yaml");
    let external = Err(NoEndpoints::ExternalName("db.internal.example".into()));
    // Whatever the port: the Service has no endpoints to resolve.
    for spec in ["shop/db:5432", "shop/db:80", "shop/db:postgres"] {
        assert_eq!(resolved(&table, spec), external, "{spec}");
    }
    assert_eq!(
        NoEndpoints::ExternalName("db.internal.example".into()).to_string(),
        r#"the Service is of type ExternalName ("db.internal.example"), which is not supported"#
    );
}

#[test]
fn b1_findings_name_object_source_and_rule() {
    let text = std::fs::read_to_string(fixture("endpoints/findings.yaml")).unwrap();
    let mut manifests = Manifests::new();
    manifests.add_text("findings.yaml", Format::Yaml, &text);
    let table = EndpointTable::from_manifests(&manifests);
    // The address that does not parse is skipped; the other one serves.
    assert_eq!(resolved(&table, "shop/cart:http"), ok(&["10.0.0.4:8080"]));
    assert_eq!(resolved(&table, "shop/cart:9000"), Err(NoEndpoints::NoEndpointSlices));
    let findings: Vec<String> = table.findings().iter().map(ToString::to_string).collect();
    assert_eq!(
        findings,
        [
            r#"findings.yaml:2 (document 1): Service shop/db: type ExternalName ("db.internal.example") is not supported; backends naming it have no endpoints [B1]"#,
            "findings.yaml:10 (document 2): Service shop/cart: port 9000 (admin) has no ready endpoint: no usable EndpointSlice of the Service lists the port; requests for it are answered 503 [B3]",
            "findings.yaml:18 (document 3): EndpointSlice shop/cart-abcde: ports[1].port: 0 is not a port number; the slice gives no endpoint for it [B1]",
            r#"findings.yaml:18 (document 3): EndpointSlice shop/cart-abcde: endpoints[0].addresses[0]: "10.0.0.300" is not an IPv4 address; skipped [B1]"#,
            r#"findings.yaml:18 (document 3): EndpointSlice shop/cart-abcde: endpoints[1].addresses[0]: "fd00::1" is not an IPv4 address; skipped [B1]"#,
            r#"findings.yaml:33 (document 4): EndpointSlice shop/gone-12345: label kubernetes.io/service-name names Service "gone", which does not exist in the slice's namespace [B1]"#,
            "findings.yaml:42 (document 5): EndpointSlice shop/manual: no label kubernetes.io/service-name: no Service uses the slice [B1]",
        ]
    );
    let source = table.findings()[0].source.as_ref().unwrap();
    assert_eq!((source.document, source.line), (1, 2));
    assert!(matches!(
        &table.findings()[2].problem,
        EndpointProblem::BadPort { port: Some(0), .. }
    ));
}

#[test]
fn b3_no_slices_and_no_ready_endpoints_are_answers() {
    let no_slices = "apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }\n";
    let table = EndpointTable::from_manifests(&from_yaml(no_slices));
    assert_eq!(resolved(&table, "default/web:80"), Err(NoEndpoints::NoEndpointSlices));

    let none_ready = web_with_endpoints("- addresses: [\"10.0.0.1\"]\n  conditions: { ready: false }\n");
    assert_eq!(
        resolved(&none_ready, "default/web:80"),
        Err(NoEndpoints::NoReadyEndpoints)
    );
    assert_eq!(
        problems(&none_ready),
        [
            "Service default/web: port 80 has no ready endpoint: no endpoint of the Service port is ready; requests for it are answered 503 [B3]"
        ]
    );

    let empty = EndpointTable::new();
    assert_eq!(resolved(&empty, "default/web:80"), Err(NoEndpoints::UnknownService));
    assert!(empty.findings().is_empty());
}

fn reversed<T: Clone>(items: &[T]) -> Vec<T> {
    items.iter().rev().cloned().collect()
}

/// The Services and EndpointSlices of every fixture, as plain objects.
fn all_objects() -> (Vec<Service>, Vec<EndpointSlice>) {
    let (manifests, _) = load("");
    let services = manifests.services().iter().map(|s| s.object.clone()).collect();
    let slices = manifests.endpoint_slices().iter().map(|s| s.object.clone()).collect();
    (services, slices)
}

#[test]
fn b2_same_objects_in_any_order_build_an_equal_table() {
    let (services, slices) = all_objects();
    assert_eq!((services.len(), slices.len()), (7, 11));
    let table = EndpointTable::from_objects(&services, &slices);
    assert!(table.resolve(&backend("shop/shop-api:http")).is_ok());
    assert!(!table.findings().is_empty());

    let mut orders = Vec::new();
    for k in 0..slices.len() {
        let mut s = slices.clone();
        s.rotate_left(k);
        let mut v = services.clone();
        v.rotate_right(k % services.len());
        orders.push((v, s));
    }
    orders.push((reversed(&services), reversed(&slices)));
    for (services, slices) in &orders {
        assert_eq!(EndpointTable::from_objects(services, slices), table);
    }

    // Equality sees a difference: one slice fewer is another table.
    let fewer = EndpointTable::from_objects(&services, slices.iter().skip(1));
    assert_ne!(fewer, table);
}

#[test]
fn b2_objects_and_manifests_resolve_alike() {
    let (manifests, from_manifests) = load("");
    let (services, slices) = all_objects();
    let from_objects = EndpointTable::from_objects(&services, &slices);
    let specs = [
        "shop/shop-api:http",
        "shop/shop-api:53",
        "default/web:80",
        "default/nginx-svc:80",
        "blue/web:http",
        "green/web:80",
        "shop/db:5432",
        "shop/cart:admin",
        "red/web:80",
    ];
    for spec in specs {
        assert_eq!(resolved(&from_objects, spec), resolved(&from_manifests, spec), "{spec}");
    }
    // The same findings, with sources only from manifests.
    assert!(from_objects.findings().iter().all(|f| f.source.is_none()));
    assert!(from_manifests.findings().iter().all(|f| f.source.is_some()));
    let mut a = problems(&from_objects);
    let mut b = problems(&from_manifests);
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(manifests.files(), 5);
}
