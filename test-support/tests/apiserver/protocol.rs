//! The wire protocol through kube's `Api`: paging, watch events,
//! bookmarks, 410 as an event, selectors, kubeconfig, shutdown.

use std::time::Duration;

use futures_util::StreamExt as _;
use k8s_openapi::api::core::v1::Service;
use kube::Config;
use kube::api::{Api, ListParams, VersionMatch, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

use ingress_test_support::apiserver::FakeApiServer;

use crate::support::{service, within};

#[tokio::test]
async fn list_pages_share_one_version_and_one_snapshot() {
    let server = FakeApiServer::start().await.unwrap();
    for name in ["a", "b", "c", "d", "e"] {
        server.apply(service("shop", name)).unwrap();
    }
    let api = Api::<Service>::namespaced(server.client().unwrap(), "shop");
    let first = api.list(&ListParams::default().limit(2)).await.unwrap();
    let token = first.metadata.continue_.clone().unwrap();
    assert_eq!(first.metadata.remaining_item_count, Some(3));
    // A change between pages does not show in the rest of the list.
    server.apply(service("shop", "bb")).unwrap();
    let mut names: Vec<String> = first.items.iter().filter_map(|s| s.metadata.name.clone()).collect();
    let mut token = Some(token);
    while let Some(next) = token.take() {
        let page = api
            .list(&ListParams::default().limit(2).continue_token(&next))
            .await
            .unwrap();
        assert_eq!(page.metadata.resource_version, first.metadata.resource_version);
        names.extend(page.items.iter().filter_map(|s| s.metadata.name.clone()));
        token = page.metadata.continue_.filter(|t| !t.is_empty());
    }
    assert_eq!(names, ["a", "b", "c", "d", "e"]);

    // After compaction the token is too old: 410 Gone, as an HTTP status.
    let again = api.list(&ListParams::default().limit(2)).await.unwrap();
    server.apply(service("shop", "f")).unwrap();
    server.compact();
    let expired = api
        .list(
            &ListParams::default()
                .limit(2)
                .continue_token(&again.metadata.continue_.unwrap()),
        )
        .await;
    assert!(
        matches!(&expired, Err(kube::Error::Api(s)) if s.code == 410),
        "{expired:?}"
    );
    // So is an exact list at a compacted version.
    let exact = ListParams::default().at("1").matching(VersionMatch::Exact);
    let too_old = api.list(&exact).await;
    assert!(
        matches!(&too_old, Err(kube::Error::Api(s)) if s.code == 410),
        "{too_old:?}"
    );
}

#[tokio::test]
async fn a_watch_from_a_compacted_version_gets_a_410_error_event() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("shop", "a")).unwrap();
    server.apply(service("shop", "b")).unwrap();
    let api = Api::<Service>::all(server.client().unwrap());

    let mut resumed = api.watch(&WatchParams::default(), "1").await.unwrap().boxed();
    match within("replayed event", resumed.next()).await {
        Some(Ok(WatchEvent::Added(s))) => assert_eq!(s.metadata.resource_version.as_deref(), Some("2")),
        other => panic!("expected b's ADDED, got {other:?}"),
    }
    drop(resumed);

    server.compact();
    let mut expired = api.watch(&WatchParams::default(), "1").await.unwrap().boxed();
    match within("error event", expired.next()).await {
        Some(Ok(WatchEvent::Error(status))) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
        }
        other => panic!("expected an ERROR event, got {other:?}"),
    }
    assert!(within("stream end", expired.next()).await.is_none());
}

#[tokio::test]
async fn idle_watches_get_bookmarks_at_the_newest_version() {
    let server = FakeApiServer::start().await.unwrap();
    server.set_bookmark_interval(Duration::from_millis(50));
    server.apply(service("shop", "a")).unwrap();
    // A change to another resource moves the global version on.
    server
        .apply(serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}))
        .unwrap();
    let api = Api::<Service>::all(server.client().unwrap());
    let mut stream = api.watch(&WatchParams::default(), "1").await.unwrap().boxed();
    match within("bookmark", stream.next()).await {
        Some(Ok(WatchEvent::Bookmark(bookmark))) => assert_eq!(bookmark.metadata.resource_version, "2"),
        other => panic!("expected a bookmark, got {other:?}"),
    }
    let mut plain = api
        .watch(&WatchParams::default().disable_bookmarks(), "2")
        .await
        .unwrap()
        .boxed();
    let quiet = tokio::time::timeout(Duration::from_millis(200), plain.next()).await;
    assert!(quiet.is_err(), "no bookmarks unless asked: {quiet:?}");
}

#[tokio::test]
async fn watches_end_at_their_timeout_and_filter_by_name() {
    let server = FakeApiServer::start().await.unwrap();
    let api = Api::<Service>::namespaced(server.client().unwrap(), "shop");
    let params = WatchParams::default()
        .timeout(1)
        .disable_bookmarks()
        .fields("metadata.name=web");
    let mut stream = api.watch(&params, "0").await.unwrap().boxed();
    server.apply(service("shop", "other")).unwrap();
    server.apply(service("shop", "web")).unwrap();
    match within("web's event", stream.next()).await {
        Some(Ok(WatchEvent::Added(s))) => assert_eq!(s.metadata.name.as_deref(), Some("web")),
        other => panic!("expected web's ADDED, got {other:?}"),
    }
    assert!(within("the end at timeoutSeconds", stream.next()).await.is_none());
}

#[tokio::test]
async fn kube_reads_the_kubeconfig() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("default", "web")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = server.write_kubeconfig(dir.path()).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let kubeconfig = Kubeconfig::from_yaml(&text).unwrap();
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    assert_eq!(config.default_namespace, "default");
    let api = Api::<Service>::default_namespaced(kube::Client::try_from(config).unwrap());
    assert_eq!(api.list(&ListParams::default()).await.unwrap().items.len(), 1);
}

/// Sends a raw watch request (`Connection: close`) to `addr` and returns
/// the response's bytes once the server closes the connection; `during`
/// runs after the first bytes of the response have arrived.
async fn raw_watch(addr: std::net::SocketAddr, path: &str, during: impl Future<Output = ()>) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: fake\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.expect("send the request");
    let mut head = vec![0; 4096];
    let read = within("response head", socket.read(&mut head))
        .await
        .expect("read the head");
    head.truncate(read);
    let mut rest = Vec::new();
    let (_, read) = within("connection close", async {
        tokio::join!(during, socket.read_to_end(&mut rest))
    })
    .await;
    read.ok();
    head.extend(rest);
    String::from_utf8_lossy(&head).into_owned()
}

#[tokio::test]
async fn watch_streams_are_chunked_lines_that_end_cleanly_or_break() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("shop", "a")).unwrap();
    let addr = server.addr();
    let path = "/api/v1/services?&watch=true&timeoutSeconds=1&resourceVersion=0";
    let ended = raw_watch(addr, path, async {}).await;
    assert!(ended.starts_with("HTTP/1.1 200 OK\r\n"), "{ended}");
    assert!(
        ended.to_ascii_lowercase().contains("transfer-encoding: chunked\r\n"),
        "{ended}"
    );
    assert!(ended.contains("\"type\":\"ADDED\"}\n\r\n"), "one event a line: {ended}");
    assert!(ended.ends_with("}\n\r\n0\r\n\r\n"), "a clean end: {ended}");

    let path = "/api/v1/services?&watch=true&resourceVersion=0";
    let broken = raw_watch(addr, path, async { server.drop_watches() }).await;
    assert!(broken.contains("\"type\":\"ADDED\""), "{broken}");
    assert!(!broken.ends_with("0\r\n\r\n"), "no last chunk after a drop: {broken}");

    let stopped = raw_watch(addr, path, server.shutdown()).await;
    assert!(
        stopped.ends_with("}\n\r\n0\r\n\r\n"),
        "shutdown ends streams cleanly: {stopped}"
    );
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_dropped_server_closes_its_port() {
    let server = FakeApiServer::start().await.unwrap();
    let addr = server.addr();
    drop(server);
    tokio::task::yield_now().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
