//! Deadlines and cancellation between jsonmux peers: a handler keeps to
//! its caller's deadline, a call given up on stops its handler, and a
//! chain of services stops together.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jsonmux::{Client, ClientBuilder, Code, Engine, Error, Message, Resp, ServerBuilder};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::support::engines::per_engine;
use crate::support::server::TestServer;
use crate::support::time::{eventually, with_paused_clock};

/// What the handlers of a server did: how many started, how many were
/// dropped unfinished, and when the last one stopped working.
#[derive(Clone, Debug, Default)]
struct Work {
    started: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
    last_stop: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl Work {
    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }

    fn last_stop(&self) -> Option<Instant> {
        *self.last_stop.lock().unwrap()
    }

    /// Counts a handler starting; the guard counts its end.
    fn start(&self) -> Working {
        self.started.fetch_add(1, Ordering::SeqCst);
        Working {
            work: self.clone(),
            finished: false,
        }
    }

    /// A handler that answers a `now` request at once, and any other after
    /// working for `work` (on the paused clock).
    fn handler(
        &self,
        work: Duration,
    ) -> impl Fn(Message) -> futures_util::future::BoxFuture<'static, Result<Resp, Error>> + Clone
    {
        let counts = self.clone();
        move |msg: Message| {
            let counts = counts.clone();
            Box::pin(async move {
                if msg.val != "now" {
                    let mut working = counts.start();
                    tokio::time::sleep(work).await;
                    working.finished = true;
                }
                Ok(Resp::new(msg.uid, "done"))
            })
        }
    }
}

/// One handler at work: when it ends (or is dropped unfinished) is noted.
struct Working {
    work: Work,
    finished: bool,
}

impl Drop for Working {
    fn drop(&mut self) {
        if !self.finished {
            self.work.dropped.fetch_add(1, Ordering::SeqCst);
        }
        *self.work.last_stop.lock().unwrap() = Some(Instant::now());
    }
}

/// A server on `engine` whose handlers work for `work`.
async fn server(engine: Engine, work: Duration, counts: &Work) -> TestServer {
    let handler = counts.handler(work);
    let builder = ServerBuilder::new().engine(engine);
    TestServer::start_at("127.0.0.1:0", builder, move |_| tower::service_fn(handler)).await
}

async fn client(engine: Engine, addr: std::net::SocketAddr, timeout: Duration) -> Client {
    ClientBuilder::new()
        .engine(engine)
        .pool_size(1)
        .request_timeout(Some(timeout))
        .connect(addr)
        .await
        .unwrap()
}

per_engine! {
    /// A call dropped by its caller is cancelled on the jsonmux server: its handler is dropped at once, nothing is answered, and its `Uid` is free again.
    fn a_call_dropped_by_its_caller_stops_its_handler_and_frees_its_uid(engine: Engine) {
        with_paused_clock(move || async move {
            let work = Work::default();
            let s = server(engine, Duration::from_secs(10), &work).await;
            let client = client(engine, s.addr, Duration::from_secs(30)).await;
            // A first answer tells the client that the server speaks the extension.
            client.clone().oneshot(Message::new("first", "now")).await.unwrap();
            let call = tokio::spawn(client.clone().oneshot(Message::new("pixel-1", "x")));
            eventually("the handler at work", || work.started() == 1).await;
            call.abort();
            let given_up = Instant::now();
            eventually("the handler dropped", || work.dropped() == 1).await;
            assert_eq!(work.last_stop(), Some(given_up), "at once");
            let counts = client.stats().calls;
            assert_eq!((counts.abandoned, counts.cancels_sent), (1, 1), "{counts:?}");
            assert_eq!(client.stats().in_flight, 0, "no reservation left");
            let stats = s.stats.snapshot();
            assert_eq!((stats.cancels_received, stats.handlers_cancelled), (1, 1));
            let again = client.clone().oneshot(Message::new("pixel-1", "now")).await;
            assert_eq!(again.unwrap().val, "done", "the same Uid at once");
            s.stop().await;
        })
    }
}

per_engine! {
    /// A call that times out has its handler stopped by the same instant: by its cancel, or by its deadline, which the server knows.
    fn a_call_that_times_out_has_its_handler_stopped_with_it(engine: Engine) {
        with_paused_clock(move || async move {
            let work = Work::default();
            let s = server(engine, Duration::from_secs(10), &work).await;
            let client = client(engine, s.addr, Duration::from_millis(100)).await;
            let started = Instant::now();
            let err = client.clone().oneshot(Message::new("pixel-1", "x")).await.unwrap_err();
            assert!(err.is_timeout(), "{err:?}");
            assert_eq!(started.elapsed(), Duration::from_millis(100));
            eventually("the handler dropped", || work.dropped() == 1).await;
            assert_eq!(work.last_stop(), Some(started + Duration::from_millis(100)));
            s.stop().await;
        })
    }
}

per_engine! {
    /// A handler is stopped at its caller's deadline even if the cancel never comes, and sees that deadline.
    fn a_handler_sees_its_callers_deadline_and_is_stopped_at_it(engine: Engine) {
        with_paused_clock(move || async move {
            let seen = Arc::new(std::sync::Mutex::new(None));
            let saw = seen.clone();
            let builder = ServerBuilder::new().engine(engine);
            let s = TestServer::start_at("127.0.0.1:0", builder, move |_| {
                let saw = saw.clone();
                tower::service_fn(move |msg: Message| {
                    let saw = saw.clone();
                    async move {
                        let left = msg.deadline().map(|d| d - Instant::now());
                        *saw.lock().unwrap() = left;
                        std::future::pending::<Result<Resp, Error>>().await
                    }
                })
            })
            .await;
            let client = client(engine, s.addr, Duration::from_secs(5)).await;
            let msg = Message::new("pixel-1", "x").with_timeout(Duration::from_millis(250));
            assert!(client.clone().oneshot(msg).await.unwrap_err().is_timeout());
            let left = seen.lock().unwrap().expect("the handler saw a deadline");
            assert!(left <= Duration::from_millis(250) && left >= Duration::from_millis(249), "{left:?}");
            s.stop().await;
        })
    }
}

per_engine! {
    /// A → B → C, each handler calling the next after working 60 ms, the first caller waiting 100 ms: every hop stops with it, and C never starts.
    fn a_chain_of_services_stops_together_when_the_first_caller_gives_up(engine: Engine) {
        with_paused_clock(move || async move {
            let (a, b, c) = (Work::default(), Work::default(), Work::default());
            let c_server = server(engine, Duration::from_millis(60), &c).await;
            let to_c = client(engine, c_server.addr, Duration::from_secs(5)).await;
            let b_server = hop(engine, &b, to_c).await;
            let to_b = client(engine, b_server.addr, Duration::from_secs(5)).await;
            let a_server = hop(engine, &a, to_b).await;
            let caller = client(engine, a_server.addr, Duration::from_millis(100)).await;
            let started = Instant::now();
            let err = caller.oneshot(Message::new("pixel-1", "x")).await.unwrap_err();
            assert!(err.is_timeout(), "{err:?}");
            assert_eq!(started.elapsed(), Duration::from_millis(100));
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!((a.started(), b.started(), c.started()), (1, 1, 0), "C never started");
            let deadline = started + Duration::from_millis(100);
            for (hop, work) in [("A", &a), ("B", &b)] {
                let stopped = work.last_stop().expect("it stopped");
                assert!(stopped <= deadline, "{hop} worked past the deadline");
            }
            for s in [a_server, b_server, c_server] {
                s.stop().await;
            }
        })
    }
}

/// A server whose handler works 60 ms, then calls the next service with
/// the same request.
async fn hop(engine: Engine, counts: &Work, next: Client) -> TestServer {
    let counts = counts.clone();
    let builder = ServerBuilder::new().engine(engine);
    TestServer::start_at("127.0.0.1:0", builder, move |_| {
        tower::service_fn(move |msg: Message| {
            let (counts, next) = (counts.clone(), next.clone());
            async move {
                let mut working = counts.start();
                tokio::time::sleep(Duration::from_millis(60)).await;
                let answer = next.oneshot(Message::new(msg.uid, msg.val)).await;
                working.finished = true;
                answer
            }
        })
    })
    .await
}

per_engine! {
    /// A request that arrives with its deadline passed is answered `deadline_exceeded`, and its handler is not called.
    async fn a_request_whose_deadline_has_passed_is_answered_without_calling_its_handler(engine: Engine) {
        let work = Work::default();
        let s = server(engine, Duration::ZERO, &work).await;
        let mut raw = crate::support::raw::Raw::connect(s.addr).await;
        raw.send(br#"{"Uid":"late","Val":"x","Sq":5,"Dl":0}"#).await;
        let line = raw.line().await.unwrap();
        let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["Code"], Code::DeadlineExceeded.as_str(), "{line}");
        assert_eq!((answer["Uid"].as_str(), answer["Sq"].as_u64()), (Some("late"), Some(5)));
        assert_eq!(work.started(), 0);
        assert_eq!(s.stats.snapshot().expired_on_arrival, 1);
        s.stop().await;
    }
}

per_engine! {
    /// Timeouts longer than any clock can count (a client's, a call's, a handler's) are no deadline: calls are answered as without one.
    async fn timeouts_no_clock_can_hold_are_no_deadline(engine: Engine) {
        let builder = ServerBuilder::new()
            .engine(engine)
            .handler_timeout(Some(Duration::MAX));
        let s = TestServer::start_with(builder).await;
        let client = client(engine, s.addr, Duration::MAX).await;
        let msg = Message::new("pixel-1", "x").with_timeout(Duration::MAX);
        let resp = client.clone().oneshot(msg).await.unwrap();
        assert_eq!(resp.val, "server: hello, x");
        s.stop().await;
    }
}
