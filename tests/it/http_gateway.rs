//! The HTTP gateway example (`examples/http_gateway`): axum handlers that
//! share one jsonmux `Client`, under many concurrent HTTP requests.

use std::net::SocketAddr;

use crate::support::time::bounded;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

#[path = "../../examples/http_gateway/gateway.rs"]
mod gateway;

/// HTTP requests at once.
const REQUESTS: usize = 1000;

/// `GET path` over a connection of its own (HTTP/1.1, closed after the
/// answer); returns the status line and the body.
async fn get(addr: SocketAddr, path: String) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
}

/// 1000 concurrent HTTP requests through the gateway each get their own upstream answer; then it drains and stops.
#[tokio::test]
async fn a_thousand_concurrent_http_requests_each_get_their_own_answer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let gateway = tokio::spawn(gateway::run(listener, None, async {
        let _ = stopped.await;
    }));

    let requests: Vec<_> = (0..REQUESTS)
        .map(|i| tokio::spawn(get(addr, format!("/hello/pig-{i}"))))
        .collect();
    for (i, request) in requests.into_iter().enumerate() {
        let (status, body) = bounded("an HTTP answer", request).await.unwrap();
        assert_eq!(status, "HTTP/1.1 200 OK", "request {i}: {body}");
        assert_eq!(body, format!("server: hello, pig-{i}"));
    }

    stop.send(()).unwrap();
    bounded("the gateway's drain", gateway)
        .await
        .unwrap()
        .expect("a clean stop");
}
