//! Unix domain sockets: a server bound at a path, clients at `unix:/path`.

use std::io;
use std::path::PathBuf;

use crate::support::calls::{all_answered, spawn_calls};
use crate::support::engines::{client_on, per_engine};
use crate::support::time::bounded;
use jsonmux::{Addr, Client, Connection, HelloService, Message, Server};
use tokio::sync::oneshot;
use tower::ServiceExt;

/// A fresh socket path for `test`, in the system's temporary directory.
fn socket_path(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("jsonmux-{}-{test}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Serves `HelloService` at `path` until the returned sender fires.
async fn serve_at(
    path: &PathBuf,
) -> (
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), jsonmux::Error>>,
) {
    let server = Server::builder().bind_unix(path).await.unwrap();
    assert_eq!(server.endpoint().unwrap(), Addr::Unix(path.clone()));
    let (stop, stopped) = oneshot::channel::<()>();
    (stop, tokio::spawn(server.serve(HelloService, stopped)))
}

per_engine! {
    /// A pooled client at `unix:/path` gets every answer; the socket file goes when the server stops.
    async fn a_client_at_a_unix_path_is_served_and_the_file_is_removed_at_the_end(engine: Engine) {
        let path = socket_path(&format!("pool-{engine:?}"));
        let (stop, serving) = serve_at(&path).await;
        let client: Client = client_on(engine, format!("unix:{}", path.display())).await;
        let calls = spawn_calls(&client, "u", 100, "sock");
        for resp in all_answered(calls).await {
            assert_eq!(resp.val, "server: hello, sock");
        }
        drop(client);
        stop.send(()).unwrap();
        bounded("the drain", serving).await.unwrap().unwrap();
        assert!(!path.exists(), "the socket file is removed");
    }
}

/// A socket file nobody listens on is replaced; a live server's is not taken over.
#[tokio::test]
async fn binding_replaces_a_stale_socket_file_but_not_a_live_one() {
    let path = socket_path("stale");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists(), "a stale socket file");

    let (stop, serving) = serve_at(&path).await;
    let taken = Server::builder().bind_unix(&path).await.unwrap_err();
    assert!(
        matches!(&taken, jsonmux::Error::Bind(e) if e.kind() == io::ErrorKind::AddrInUse),
        "{taken:?}"
    );

    let conn = Connection::connect(Addr::Unix(path.clone())).await.unwrap();
    let resp = conn.oneshot(Message::new("bare", "conn")).await.unwrap();
    assert_eq!(
        resp.val, "server: hello, conn",
        "the first server still serves"
    );
    stop.send(()).unwrap();
    bounded("the drain", serving).await.unwrap().unwrap();
}
