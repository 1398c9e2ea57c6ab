//! The chain scenario: A → B → C, each handler working 60 ms then calling
//! the next with the request it got; the first caller waits 100 ms. Does
//! any hop start work after that caller's deadline?

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonmux::{Client, ClientBuilder, Error, Message, Resp, Server};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

/// How long each hop works before it calls the next.
const HOP: Duration = Duration::from_millis(60);
/// How long the first caller waits.
const FIRST_CALLER: Duration = Duration::from_millis(100);

/// The calls (by `Uid`) of which a hop started work past the first
/// caller's deadline.
type Late = Arc<Mutex<BTreeSet<String>>>;

/// Returns how many of `calls` calls had a hop start work past their
/// first caller's deadline (which each request carries in its `Val`, as
/// nanoseconds since `epoch`, so every hop can tell, whatever it learned
/// of the deadline itself).
pub(crate) async fn run(extension: bool, calls: usize) -> Result<usize, Error> {
    let epoch = Instant::now();
    let late: Late = Arc::default();
    let c = serve(extension, epoch, &late, None).await?;
    let b = serve(
        extension,
        epoch,
        &late,
        Some(client(extension, c, None).await?),
    )
    .await?;
    let a = serve(
        extension,
        epoch,
        &late,
        Some(client(extension, b, None).await?),
    )
    .await?;
    let first = client(extension, a, Some(FIRST_CALLER)).await?;

    let mut callers = JoinSet::new();
    for i in 0..calls {
        let first = first.clone();
        callers.spawn(async move {
            let deadline = Instant::now() + FIRST_CALLER - epoch;
            let msg = Message::new(format!("chain-{i}"), deadline.as_nanos().to_string());
            let _ = first.oneshot(msg).await;
        });
    }
    while callers.join_next().await.is_some() {}
    // Whatever still runs reaches its next hop within a hop or two.
    tokio::time::sleep(HOP * 3).await;
    let late = late.lock().unwrap().len();
    Ok(late)
}

/// A hop: notes a start past the first caller's deadline, works 60 ms,
/// then calls `next` (if any) with the same request.
async fn serve(
    extension: bool,
    epoch: Instant,
    late: &Late,
    next: Option<Client>,
) -> Result<std::net::SocketAddr, Error> {
    let late = late.clone();
    let handler = tower::service_fn(move |msg: Message| {
        let (late, next) = (late.clone(), next.clone());
        async move {
            let nanos: u64 = msg.val.parse().unwrap_or(u64::MAX);
            if Instant::now() > epoch + Duration::from_nanos(nanos) {
                late.lock().unwrap().insert(msg.uid.clone());
            }
            tokio::time::sleep(HOP).await;
            match next {
                Some(next) => next.oneshot(Message::new(msg.uid, msg.val)).await,
                None => Ok(Resp::new(msg.uid, "done")),
            }
        }
    });
    let server = Server::builder()
        .extension(extension)
        .bind("127.0.0.1:0")
        .await?;
    let addr = server.local_addr().expect("a TCP address");
    tokio::spawn(server.serve(handler, std::future::pending::<()>()));
    Ok(addr)
}

/// A client of the next hop (or the first caller's, with `timeout`).
async fn client(
    extension: bool,
    addr: std::net::SocketAddr,
    timeout: Option<Duration>,
) -> Result<Client, Error> {
    let builder = ClientBuilder::new()
        .extension(extension)
        .concurrency_limit(None);
    let builder = match timeout {
        Some(t) => builder.request_timeout(Some(t)),
        None => builder,
    };
    builder.connect(addr).await
}
