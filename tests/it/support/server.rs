//! A jsonmux server on an ephemeral loopback port, serving a scripted
//! service that waits at [`Gates`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use jsonmux::server::StatsHandle;
use jsonmux::{ConnInfo, Engine, HelloService, Message, Resp, ServerBuilder};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::util::BoxCloneService;
use tower::Service;

use super::gates::Gates;
use super::time::{bounded, eventually};

/// A service scripted by the request's `Val`:
/// `wait:<name>` answers like the Go server once the test opens gate `<name>`,
/// `fail:<msg>` fails with `msg`,
/// `code:<code>:<msg>` answers with that error code and message,
/// `panic:call` panics in `call`, `panic:poll` once its future is polled,
/// `no-uid` answers like the Go server but with an empty `Uid`,
/// `hang` never answers, anything else is answered at once like `HelloService`.
pub(crate) fn scripted(gates: &Gates) -> BoxCloneService<Message, Resp, String> {
    let gates = gates.clone();
    BoxCloneService::new(tower::service_fn(move |msg: Message| {
        assert_ne!(msg.val, "panic:call", "a handler panics in call");
        let gates = gates.clone();
        async move {
            assert_ne!(msg.val, "panic:poll", "a handler panics while polled");
            if msg.val == "no-uid" {
                let mut resp = HelloService::hello(msg);
                resp.uid.clear();
                return Ok(resp);
            }
            if let Some(rest) = msg.val.strip_prefix("code:") {
                let (code, why) = rest.split_once(':').ok_or("bad code")?;
                let code = code.parse::<jsonmux::Code>().map_err(|e| e.to_string())?;
                return Ok(Resp::error(msg.uid, code, why));
            }
            if let Some(name) = msg.val.strip_prefix("wait:") {
                gates.pass(name).await;
            } else if let Some(why) = msg.val.strip_prefix("fail:") {
                return Err(why.to_string());
            } else if msg.val == "hang" {
                std::future::pending::<()>().await;
            }
            Ok(HelloService::hello(msg))
        }
    }))
}

/// A jsonmux server on an ephemeral loopback port.
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    /// The gates its handlers wait at.
    pub(crate) gates: Gates,
    pub(crate) stats: StatsHandle,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), jsonmux::Error>>,
}

impl TestServer {
    /// Starts the [`scripted`] service with default limits.
    pub(crate) async fn start() -> TestServer {
        TestServer::start_with(ServerBuilder::new()).await
    }

    /// Starts the [`scripted`] service with default limits on `engine`.
    pub(crate) async fn start_on(engine: Engine) -> TestServer {
        TestServer::start_with(ServerBuilder::new().engine(engine)).await
    }

    /// Starts the [`scripted`] service with the given limits.
    pub(crate) async fn start_with(builder: ServerBuilder) -> TestServer {
        TestServer::start_at("127.0.0.1:0", builder, scripted).await
    }

    /// Starts the [`scripted`] service with default limits, counting the
    /// requests each of its connections serves.
    pub(crate) async fn counting() -> (TestServer, PerConnection) {
        let per_conn = PerConnection::default();
        let svc = |gates: &Gates| per_conn.counting(scripted(gates));
        let server = TestServer::start_at("127.0.0.1:0", ServerBuilder::new(), svc).await;
        (server, per_conn)
    }

    /// Starts the service `make` builds over the server's gates, on `addr`
    /// (port 0 for an ephemeral one), with the given limits.
    pub(crate) async fn start_at<S>(
        addr: impl Into<jsonmux::Addr>,
        builder: ServerBuilder,
        make: impl FnOnce(&Gates) -> S,
    ) -> TestServer
    where
        S: Service<Message, Response = Resp> + Clone + Send + 'static,
        S::Error: Into<tower::BoxError>,
        S::Future: Send + 'static,
    {
        let gates = Gates::default();
        let server = builder.bind(addr).await.expect("bind loopback");
        let (addr, stats) = (server.local_addr().unwrap(), server.stats());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(make(&gates), stopped));
        TestServer {
            addr,
            gates,
            stats,
            stop: Some(stop),
            task,
        }
    }

    /// Starts a server on an ephemeral loopback port that makes each
    /// connection's service with `make`, from what it knows of the peer.
    pub(crate) async fn start_per_connection<F, S>(builder: ServerBuilder, make: F) -> TestServer
    where
        F: Fn(&ConnInfo) -> S + Send + Sync + 'static,
        S: Service<Message, Response = Resp> + Send + 'static,
        S::Error: Into<tower::BoxError>,
        S::Future: Send + 'static,
    {
        let server = builder.bind("127.0.0.1:0").await.expect("bind loopback");
        let (addr, stats) = (server.local_addr().unwrap(), server.stats());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve_with(make, stopped));
        TestServer {
            addr,
            gates: Gates::default(),
            stats,
            stop: Some(stop),
            task,
        }
    }

    /// Waits until the server counts no connection open.
    pub(crate) async fn all_closed(&self) {
        let closed = || self.stats.snapshot().connections_open == 0;
        eventually("every connection closed at the server", closed).await;
    }

    /// Signals shutdown without waiting for the drain.
    pub(crate) fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals shutdown and waits for the drain to finish; every
    /// connection is then counted closed.
    pub(crate) async fn stop(mut self) {
        self.signal_stop();
        bounded("server drain", self.task).await.unwrap().unwrap();
        assert_eq!(self.stats.snapshot().connections_open, 0, "after the drain");
    }
}

/// Requests served per server connection, counted by the [`Counted`]
/// services [`counting`](PerConnection::counting) makes: the server clones
/// its service once per connection, and each clone counts in a slot of
/// its own.
#[derive(Clone, Debug, Default)]
pub(crate) struct PerConnection {
    counts: Arc<Mutex<Vec<usize>>>,
}

impl PerConnection {
    /// The service to hand to a server: `inner`, counted.
    pub(crate) fn counting<S>(&self, inner: S) -> Counted<S> {
        Counted {
            inner,
            slot: None,
            counts: self.clone(),
        }
    }

    /// Requests served by each connection so far, in accept order.
    pub(crate) fn snapshot(&self) -> Vec<usize> {
        self.counts.lock().unwrap().clone()
    }

    /// Requests served by every connection so far.
    pub(crate) fn total(&self) -> usize {
        self.snapshot().iter().sum()
    }
}

/// A service that counts the requests each of its clones serves.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    inner: S,
    /// This clone's place in `counts`; `None` for the one never served.
    slot: Option<usize>,
    counts: PerConnection,
}

impl<S: Clone> Clone for Counted<S> {
    fn clone(&self) -> Self {
        let mut counts = self.counts.counts.lock().unwrap();
        counts.push(0);
        Counted {
            inner: self.inner.clone(),
            slot: Some(counts.len() - 1),
            counts: self.counts.clone(),
        }
    }
}

impl<S: Service<Message>> Service<Message> for Counted<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, msg: Message) -> Self::Future {
        let slot = self.slot.expect("a server calls its per-connection clones");
        self.counts.counts.lock().unwrap()[slot] += 1;
        self.inner.call(msg)
    }
}
