//! Your own tower stack over a jsonmux [`Pool`](jsonmux::Pool): layers the
//! crate does not ship (tower's `Retry` with a retry budget, and load
//! shedding) composed with `ServiceBuilder`.
//!
//! It starts a server in-process whose handler answers about one request
//! in four `unavailable`, then makes 200 calls, 32 at a time, through
//! `Retry → LoadShed → ConcurrencyLimit(24) → Timeout → Pool`: calls past
//! the limit are shed at once, and the retry policy (`retry.rs`) sends
//! again what surely did not run, within its budget. Errors from the stack
//! come back as `tower::BoxError`; `jsonmux::Error::from` turns them back
//! into the crate's error where the stack ends.
//!
//! ```text
//! cargo run --release --example compose
//! ```

mod retry;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jsonmux::{ClientBuilder, Code, Error, HelloService, Message, Resp, Server};
use retry::RetryNotRun;
use tokio::task::JoinSet;
use tower::retry::budget::TpsBudget;
use tower::{BoxError, ServiceBuilder, ServiceExt};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // A server that answers every fourth request it sees `unavailable`.
    let seen = Arc::new(AtomicU64::new(0));
    let flaky = tower::service_fn(move |msg: Message| {
        let n = seen.fetch_add(1, Ordering::Relaxed);
        async move {
            Ok::<_, BoxError>(match n % 4 {
                3 => Resp::error(msg.uid, Code::Unavailable, "try again later"),
                _ => HelloService::hello(msg),
            })
        }
    });
    let server = Server::builder().bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(flaky, stopped));

    // The crate's pool at the bottom, everything above it ours.
    let pool = ClientBuilder::new().pool_size(2).pool([addr])?;
    let policy = RetryNotRun::new(TpsBudget::new(Duration::from_secs(10), 20, 0.5));
    let svc = ServiceBuilder::new()
        .retry(policy.clone())
        .load_shed()
        .concurrency_limit(24)
        .timeout(Duration::from_secs(2))
        .service(pool);

    let (mut ok, mut failed) = (0, 0);
    for wave in 0..200 / 32 + 1 {
        let mut calls = JoinSet::new();
        for i in (wave * 32..(wave + 1) * 32).take_while(|i| *i < 200) {
            let msg = Message::new(format!("req-{i}"), "pig");
            calls.spawn(svc.clone().oneshot(msg));
        }
        while let Some(done) = calls.join_next().await {
            match done?.map_err(Error::from) {
                Ok(resp) if resp.val == "server: hello, pig" => ok += 1,
                Ok(resp) => panic!("not the answer to pig: {resp:?}"),
                Err(e) => {
                    eprintln!("failed: {}", e.report());
                    failed += 1;
                }
            }
        }
    }
    println!(
        "200 calls through Retry(budget) ─ LoadShed ─ ConcurrencyLimit over a pool: \
         {ok} ok, {failed} failed, {} retries",
        policy.retried()
    );
    println!("(shed calls and `unavailable` answers were sent again; nothing ran twice)");

    let _ = stop.send(());
    serving.await??;
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
