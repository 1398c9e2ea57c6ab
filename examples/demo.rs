//! jsonmux in one run: an in-process server and one multiplexed client.
//!
//! Shows, over a single TCP connection: 2000 concurrent calls each getting
//! its own answer although the server answers them out of order, a call
//! that times out, a duplicate `Uid` being refused, and a graceful server
//! shutdown. Prints a summary and exits 0 only if all of that held.
//!
//! ```sh
//! cargo run --release --example demo
//! ```

use std::convert::Infallible;
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonmux::{Client, ClientBuilder, Error, HelloService, Message, Resp, Server};
use tower::{service_fn, Service, ServiceExt};
use tracing_subscriber::EnvFilter;

const CALLS: usize = 2000;
const REQUEST_TIMEOUT: Duration = Duration::from_millis(500);
/// How long the server takes over a request whose `Val` is "slow".
const SLOW: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run().await {
        Ok(true) => {
            println!("all as expected");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("something did not behave as expected");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let server = Server::builder().bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server.serve(service_fn(jittery_hello), stopped));
    println!("server on {addr}");

    // One connection, so every call below shares it (the default pools 3).
    let client = ClientBuilder::new()
        .pool_size(1)
        .request_timeout(Some(REQUEST_TIMEOUT))
        .connect(addr)
        .await?;
    let mut ok = many_calls(&client).await;
    ok &= slow_call(&client).await;
    ok &= duplicate_uid(&client).await;

    // Stop the server: it drains, so it waits for the slow handlers.
    drop(client);
    let started = Instant::now();
    let _ = stop.send(());
    server.await??;
    println!(
        "server stopped: drained in {} ms (it let the slow handlers finish)",
        started.elapsed().as_millis()
    );
    Ok(ok)
}

/// The server's service: the Go server's answer after a random 0..=2 ms pause
/// (so answers overtake each other), or after 2 s when `Val` is "slow".
async fn jittery_hello(msg: Message) -> Result<Resp, Infallible> {
    let pause = if msg.val == "slow" {
        SLOW
    } else {
        Duration::from_millis(random() % 3)
    };
    if !pause.is_zero() {
        tokio::time::sleep(pause).await;
    }
    Ok(HelloService::hello(msg))
}

/// Many concurrent calls, each checked, and how many answers
/// overtook a request sent before theirs.
async fn many_calls(client: &Client) -> bool {
    let sent = Arc::new(AtomicUsize::new(0));
    let arrived = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CALLS)
        .map(|i| {
            let (mut client, sent, arrived) = (client.clone(), sent.clone(), arrived.clone());
            tokio::spawn(async move {
                let (uid, val) = (format!("req-{i}"), format!("pig {i}"));
                let svc = client.ready().await?;
                let send_seq = sent.fetch_add(1, Ordering::Relaxed);
                let resp = svc.call(Message::new(&uid, &val)).await?;
                let arrival_seq = arrived.fetch_add(1, Ordering::Relaxed);
                let right = resp.uid == uid && resp.val == format!("server: hello, {val}");
                Ok::<_, Error>((right, send_seq, arrival_seq))
            })
        })
        .collect();

    let (mut right, mut wrong, mut errors) = (0, 0, 0);
    let mut arrivals = vec![None; CALLS];
    for task in tasks {
        match task.await.expect("call task panicked") {
            Ok((true, send_seq, arrival_seq)) => {
                right += 1;
                arrivals[send_seq] = Some(arrival_seq);
            }
            Ok((false, ..)) => wrong += 1,
            Err(e) => {
                errors += 1;
                eprintln!("call failed: {}", e.report());
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{CALLS} concurrent calls over one connection: {right} ok, {wrong} wrong, {errors} errors \
         in {} ms ({:.0} req/s)",
        elapsed.as_millis(),
        CALLS as f64 / elapsed.as_secs_f64()
    );

    // An answer overtook if one sent before it arrived after it.
    let (mut overtook, mut latest) = (0, None);
    for arrival in arrivals.into_iter().flatten() {
        if latest.is_some_and(|l| arrival < l) {
            overtook += 1;
        }
        latest = latest.max(Some(arrival));
    }
    println!("out of order: {overtook} of {right} answers overtook a request sent before them");
    right == CALLS && overtook > 0
}

/// A call the server takes 2 s over ends with `Error::Timeout(_)` after 500 ms.
async fn slow_call(client: &Client) -> bool {
    match client.clone().oneshot(Message::new("slow-1", "slow")).await {
        Err(e @ Error::Timeout(_)) => {
            println!("a slow call timed out as asked: {e}");
            true
        }
        other => {
            println!("a slow call should have timed out, got {other:?}");
            false
        }
    }
}

/// A second call with a `Uid` still in flight is refused at once.
async fn duplicate_uid(client: &Client) -> bool {
    let mut client = client.clone();
    // Both go through the client's one queue in order, so the slow one takes
    // the `Uid` first.
    let first = client
        .ready()
        .await
        .map(|c| c.call(Message::new("dup", "slow")));
    let second = client
        .ready()
        .await
        .map(|c| c.call(Message::new("dup", "fast")));
    let (Ok(first), Ok(second)) = (first, second) else {
        println!("the client was not ready");
        return false;
    };
    let (first, second) = tokio::join!(first, second);
    match (&first, &second) {
        (Err(Error::Timeout(_)), Err(e @ Error::DuplicateUid(uid))) if uid == "dup" => {
            println!(
                "a second call with uid \"dup\" was refused: {e} (the first one then timed out)"
            );
            true
        }
        _ => {
            println!(
                "duplicate uid: want Timeout then DuplicateUid, got {first:?} then {second:?}"
            );
            false
        }
    }
}

/// A xorshift64 step over a shared state seeded from the clock: good enough
/// to jitter the server's answers (racing callers may share a value).
fn random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        x = now.as_nanos() as u64 | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    x
}
