//! Your own tower stack over a jsonmux [`Pool`]: a layer the crate does not
//! ship (tower's `Retry` with a retry budget) composed with `ServiceBuilder`.
//!
//! It starts a server in-process that fails about one request in four, then
//! calls it through `Retry → Timeout → Buffer → ConcurrencyLimit → Pool` and
//! shows that retries (bounded by the budget) hide the failures.
//!
//! ```text
//! cargo run --release --example compose
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jsonmux::{ClientBuilder, Error, HelloService, Message, Resp, Server};
use tower::retry::budget::{Budget, TpsBudget};
use tower::retry::Policy;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt};

/// Retries what is safe to retry, while the shared budget allows it.
#[derive(Clone)]
struct RetryTransient {
    budget: Arc<TpsBudget>,
}

impl Policy<Message, Resp, BoxError> for RetryTransient {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        _req: &mut Message,
        result: &mut Result<Resp, BoxError>,
    ) -> Option<Self::Future> {
        let Err(e) = result else {
            self.budget.deposit();
            return None;
        };
        // The server failed or shed the request, or its connection died:
        // the same Uid is free again, so sending it again is safe. (Not
        // after our own timeout: that Uid stays reserved until its late
        // answer lands, see `Connection`.)
        let transient = matches!(
            e.downcast_ref::<Error>(),
            Some(
                Error::Server { .. } | Error::Overloaded | Error::Closed(_) | Error::Unavailable(_)
            )
        );
        (transient && self.budget.withdraw()).then(|| std::future::ready(()))
    }

    fn clone_request(&mut self, req: &Message) -> Option<Message> {
        Some(req.clone())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // A server that fails every fourth request it sees.
    let seen = Arc::new(AtomicU64::new(0));
    let flaky = tower::service_fn(move |msg: Message| {
        let n = seen.fetch_add(1, Ordering::Relaxed);
        async move {
            if n % 4 == 3 {
                Err("flaky handler".to_string())
            } else {
                Ok(HelloService::hello(msg))
            }
        }
    });
    let server = Server::builder().bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(flaky, stopped));

    // The crate's pool at the bottom, everything above it ours.
    let pool = ClientBuilder::new().pool_size(2).pool([addr])?;
    let budget = Arc::new(TpsBudget::new(Duration::from_secs(10), 10, 0.5));
    let svc = ServiceBuilder::new()
        .retry(RetryTransient { budget })
        .timeout(Duration::from_secs(2))
        .buffer(256)
        .concurrency_limit(64)
        .service(pool);

    let (mut ok, mut failed) = (0, 0);
    for i in 0..200 {
        let msg = Message::new(format!("req-{i}"), "pig");
        match svc.clone().ready().await?.call(msg).await {
            Ok(resp) if resp.val == "server: hello, pig" => ok += 1,
            _ => failed += 1,
        }
    }
    println!("200 calls through Retry(budget) over a pool: {ok} ok, {failed} failed");
    println!("(the server failed about 1 in 4 attempts; retries hid them)");

    let _ = stop.send(());
    serving.await??;
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
