//! The abandoned-work scenario: many callers give up on slow handlers;
//! how long do the handlers go on working for nobody?

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonmux::{ClientBuilder, Error, Message, Resp, Server};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::work::{self, Log, Shape};

/// One run of the scenario.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) extension: bool,
    pub(crate) calls: usize,
    pub(crate) work: Duration,
    pub(crate) shape: Shape,
    pub(crate) timeout: Duration,
    pub(crate) grace: Duration,
}

impl Run {
    /// Returns how many handlers were still at work `grace` after their
    /// caller gave up, and the handler time spent after callers gave up.
    pub(crate) async fn run(&self) -> Result<(usize, Duration), Error> {
        let log = Log::default();
        let (work, shape) = (self.work, self.shape);
        let handler_log = log.clone();
        let handler = tower::service_fn(move |msg: Message| {
            let log = handler_log.clone();
            async move {
                let _working = log.start(&msg.uid);
                work::work(work, shape).await;
                Ok::<_, Error>(Resp::new(msg.uid, "done"))
            }
        });
        let server = Server::builder()
            .extension(self.extension)
            .max_in_flight(self.calls.max(1))
            .bind("127.0.0.1:0")
            .await?;
        let addr = server.local_addr().expect("a TCP address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.serve(handler, stopped));
        let client = ClientBuilder::new()
            .extension(self.extension)
            .request_timeout(Some(self.timeout))
            .concurrency_limit(None)
            .connect(addr)
            .await?;
        // A first call with an answer: each connection knows its server.
        for i in 0..3 {
            let warm =
                Message::new(format!("warm-{i}"), "now").with_timeout(Duration::from_secs(1));
            let _ = client.clone().oneshot(warm).await;
        }

        let gave_up = Arc::new(Mutex::new(Vec::new()));
        let mut calls = JoinSet::new();
        for i in 0..self.calls {
            let (client, gave_up) = (client.clone(), gave_up.clone());
            calls.spawn(async move {
                let uid = format!("call-{i}");
                if client.oneshot(Message::new(&uid, "x")).await.is_err() {
                    gave_up.lock().unwrap().push((uid, Instant::now()));
                }
            });
        }
        while calls.join_next().await.is_some() {}
        // Every handler stops by itself at the latest when its work is done.
        let patience = Instant::now() + self.work + Duration::from_secs(5);
        while !log.all_stopped() && Instant::now() < patience {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        let (mut ran_after, mut spent) = (0, Duration::ZERO);
        for (uid, at) in gave_up.lock().unwrap().iter() {
            let stopped = log.stopped(uid).unwrap_or_else(Instant::now);
            let after = stopped.saturating_duration_since(*at);
            spent += after;
            if log.started(uid).is_some() && after > self.grace {
                ran_after += 1;
            }
        }
        client.close().await;
        let _ = stop.send(());
        let _ = serving.await;
        Ok((ran_after, spent))
    }
}
