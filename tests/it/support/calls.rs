//! Clients and calls: a client that redials quickly, a pool of three
//! once all are up, one call, a call sent now and answered later, calls
//! on tasks of their own, and waiting for their answers.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use jsonmux::{Client, ClientBuilder, Engine, Error, Message, Resp};
use tokio::task::JoinHandle;
use tower::{Service, ServiceExt};

use super::time::{bounded, eventually};

/// A client on `engine` that redials quickly: its backoff runs from 5 to
/// 50 ms, so a test sees a connection replaced within a few milliseconds
/// of the test's time.
pub(crate) fn quick(engine: Engine) -> ClientBuilder {
    let builder = ClientBuilder::new().engine(engine);
    builder.backoff(Duration::from_millis(5), Duration::from_millis(50))
}

/// One call `uid` with value `val`.
pub(crate) async fn call(client: &Client, uid: &str, val: &str) -> Result<Resp, Error> {
    client.clone().oneshot(Message::new(uid, val)).await
}

/// A call running on a task of its own.
pub(crate) type Call = JoinHandle<Result<Resp, Error>>;

/// A client of `builder` with a pool of three connections to `addr`,
/// once all three are up.
pub(crate) async fn three_up(builder: ClientBuilder, addr: SocketAddr) -> Client {
    let client = builder.pool_size(3).connect(addr).await.unwrap();
    let up = || client.endpoints().status()[0].connections == 3;
    eventually("3 connections up", up).await;
    client
}

/// A client of `builder` with one connection to each of `addrs`, in that
/// order, once all are up.
pub(crate) async fn one_each(builder: ClientBuilder, addrs: &[SocketAddr]) -> Client {
    let client = builder
        .pool_size(1)
        .connect_all(addrs.to_vec())
        .await
        .unwrap();
    let up = || {
        client
            .endpoints()
            .status()
            .iter()
            .all(|e| e.connections == 1)
    };
    eventually("a connection up to each", up).await;
    client
}

/// Makes a call `uid` with value `val` on `svc` (a [`Client`], a pool or
/// a connection) once it is ready: the request is on its way when this
/// returns, its answer to come in the future it returns.
pub(crate) async fn send<S>(svc: &S, uid: &str, val: &str) -> S::Future
where
    S: Service<Message> + Clone,
    S::Error: fmt::Debug,
{
    let mut svc = svc.clone();
    svc.ready().await.unwrap().call(Message::new(uid, val))
}

/// `n` calls `{tag}{i}` with value `val` to `client` (a [`Client`], a
/// pool or a connection), each on a task of its own.
pub(crate) fn spawn_calls<S>(client: &S, tag: &str, n: usize, val: &str) -> Vec<Call>
where
    S: Service<Message, Response = Resp, Error = Error> + Clone + Send + 'static,
    S::Future: Send,
{
    (0..n)
        .map(|i| {
            let msg = Message::new(format!("{tag}{i}"), val);
            tokio::spawn(client.clone().oneshot(msg))
        })
        .collect()
}

/// Awaits every call, each of which must succeed; returns the answers,
/// in the calls' order.
pub(crate) async fn all_answered(calls: Vec<Call>) -> Vec<Resp> {
    let mut answers = Vec::with_capacity(calls.len());
    for c in calls {
        answers.push(bounded("a call", c).await.unwrap().unwrap());
    }
    answers
}
