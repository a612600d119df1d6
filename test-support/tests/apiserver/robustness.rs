//! Malformed and unusual requests get the API server's error answers;
//! the server keeps serving after every one of them.

use kube::client::Body;

use ingress_test_support::apiserver::FakeApiServer;

use crate::support::{ingress, within};

#[tokio::test]
async fn malformed_requests_get_status_answers_and_the_server_keeps_serving() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(ingress("shop", "web", "a.example")).unwrap();
    let lease = "/apis/coordination.k8s.io/v1/namespaces/ns/leases";
    let web = "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web";
    let cases: &[(&str, &str, &str, &[u8], u16)] = &[
        ("GET", "/nope", "", b"", 404),
        ("GET", "/apis/apps/v1/deployments", "", b"", 404),
        ("GET", "/api/v1/services/web", "", b"", 404),
        ("GET", "/api/v1/namespaces/shop/secrets/tls/status", "", b"", 404),
        ("GET", "/api/v1/services?labelSelector=a%20b", "", b"", 400),
        ("GET", "/api/v1/services?fieldSelector=metadata.name", "", b"", 400),
        ("GET", "/api/v1/services?limit=1&continue=x", "", b"", 400),
        ("GET", "/api/v1/services?limit=1&continue=99.0", "", b"", 410),
        ("GET", "/api/v1/services?watch=true&resourceVersion=abc", "", b"", 400),
        (
            "GET",
            "/api/v1/services?watch=true&timeoutSeconds=18446744073709551615&resourceVersion=0&limit=0",
            "",
            b"",
            200,
        ),
        ("POST", lease, "application/json", b"{not json", 422),
        ("POST", lease, "application/json", b"[1, 2]", 422),
        ("POST", lease, "application/json", b"{\"metadata\": {}}", 422),
        (
            "POST",
            lease,
            "application/json",
            b"{\"metadata\": {\"generateName\": \"l-\"}}",
            201,
        ),
        (
            "POST",
            "/apis/coordination.k8s.io/v1/leases",
            "application/json",
            b"{}",
            404,
        ),
        (
            "PUT",
            web,
            "application/json",
            b"{\"metadata\": {\"name\": \"other\"}}",
            422,
        ),
        (
            "PUT",
            web,
            "application/json",
            b"{\"metadata\": {\"name\": \"web\", \"generation\": 9223372036854775807}, \"spec\": 1}",
            200,
        ),
        (
            "PUT",
            web,
            "application/json",
            b"{\"metadata\": \"x\", \"spec\": 2}",
            200,
        ),
        ("PATCH", web, "application/json-patch+json", b"[]", 415),
        ("PATCH", web, "application/merge-patch+json", b"\"x\"", 422),
        (
            "PATCH",
            &format!("{web}/status?fieldManager=m"),
            "application/apply-patch+yaml",
            b"status: [unclosed",
            422,
        ),
        (
            "PATCH",
            &format!("{web}/status?fieldManager=m"),
            "application/apply-patch+yaml",
            b"status:\n  a: 1\n",
            200,
        ),
        (
            "DELETE",
            "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/missing",
            "",
            b"",
            404,
        ),
        ("OPTIONS", web, "", b"", 405),
        ("GET", "/version", "", b"", 200),
    ];
    let client = server.client().unwrap();
    for (method, path, content_type, body, expected) in cases {
        let mut request = http::Request::builder().method(*method).uri(*path);
        if !content_type.is_empty() {
            request = request.header("content-type", *content_type);
        }
        let request = request.body(Body::from(body.to_vec())).unwrap();
        let response = within(path, client.send(request)).await.unwrap();
        assert_eq!(response.status().as_u16(), *expected, "{method} {path}");
    }
    let stored = server
        .get("networking.k8s.io/v1", "Ingress", Some("shop"), "web")
        .unwrap();
    assert_eq!(stored["status"], serde_json::json!({"a": 1}));
    // The server owns `generation`: one per spec change (create and two
    // PUTs), whatever a client sends.
    assert_eq!(stored["metadata"]["generation"], 3);
}
