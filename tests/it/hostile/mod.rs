//! The client against a misbehaving peer ([`Peer`]), one [`Mode`] at a
//! time: every call ends in exactly one typed outcome by its deadline,
//! nothing the peer sends makes the client hold more memory (`answers`,
//! `frames`), the answers it owes are bounded (`owed`), the bad
//! connection is replaced (`hangups`, `stalls`), and calls to a good
//! server in the same pool are unaffected (`neighbours`).
//!
//! Paused clocks throughout, except where a test says why not: a call's
//! deadline is exact in the test's own time.
//!
//! [`Peer`]: crate::support::peers::Peer
//! [`Mode`]: crate::support::peers::Mode

mod answers;
mod frames;
mod hangups;
mod neighbours;
mod owed;
mod stalls;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use jsonmux::pool::EndpointStatus;
use jsonmux::{Client, ClientBuilder, CloseReason, Engine, Error, Message, Resp};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::support::calls::quick;
use crate::support::peers::Peer;
use crate::support::time::{bounded, eventually};

pub(crate) use crate::support::engines::per_engine;

/// Every call's deadline (the client's request timeout).
const DEADLINE: Duration = Duration::from_millis(200);
/// The client's read timeout: calls waiting and nothing heard for this
/// long, and the connection is deemed dead.
const READ_TIMEOUT: Duration = Duration::from_millis(100);

/// The client options of this suite, on `engine`: the one place the
/// engine reaches the client.
fn builder(engine: Engine) -> ClientBuilder {
    quick(engine)
        .pool_size(1)
        .request_timeout(Some(DEADLINE))
        .read_timeout(Some(READ_TIMEOUT))
}

/// This suite's options with both dead-peer rules (the read timeout and
/// the streak of timeouts) off.
fn rules_off(engine: Engine) -> ClientBuilder {
    let builder = builder(engine).read_timeout(None);
    builder.max_consecutive_timeouts(None)
}

/// A client of `builder` over `addrs`, once a first connection is up.
async fn connect(builder: ClientBuilder, addrs: &[SocketAddr]) -> Client {
    let connected = builder.connect_all(addrs.iter().copied());
    bounded("a first connection", connected).await.unwrap()
}

/// One call's outcome.
struct Outcome {
    uid: String,
    val: String,
    result: Result<Resp, Error>,
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The outcome, not the (possibly large) values.
        let result = self.result.as_ref().map(|r| (&r.uid, r.val.len()));
        write!(f, "{}: {:?}", self.uid, result.map_err(Error::report))
    }
}

/// Makes `n` calls `{tag}{i}` at once; returns their outcomes, each of
/// which came by the call's deadline.
async fn calls(client: &Client, tag: &str, n: usize) -> Vec<Outcome> {
    calls_with(client, tag, n, "x").await
}

/// [`calls`] with `val` as every call's value.
async fn calls_with(client: &Client, tag: &str, n: usize, val: &str) -> Vec<Outcome> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (uid, val) = (format!("{tag}{i}"), val.to_owned());
            let call = client.clone().oneshot(Message::new(&uid, &val));
            tokio::spawn(async move {
                let result = call.await;
                (Outcome { uid, val, result }, started.elapsed())
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    for task in tasks {
        let (outcome, took) = bounded("a call", task).await.unwrap();
        assert!(took <= DEADLINE, "{} took {took:?}", outcome.uid);
        outcomes.push(outcome);
    }
    outcomes
}

impl Outcome {
    /// True if the call got its own answer (never another call's).
    fn is_answered(&self) -> bool {
        match &self.result {
            Ok(resp) => {
                assert_eq!(resp.uid, self.uid);
                assert_eq!(resp.val, format!("server: hello, {}", self.val));
                true
            }
            Err(_) => false,
        }
    }

    /// Panics unless the call got its own answer.
    fn answered(&self) {
        assert!(self.is_answered(), "{self:?}");
    }

    /// Panics unless the call timed out.
    fn timed_out(&self) {
        assert!(matches!(self.result, Err(Error::Timeout(_))), "{self:?}");
    }

    /// Panics unless the connection ended under the call with a cause
    /// `cause` accepts.
    fn closed_by(&self, cause: impl Fn(&CloseReason) -> bool) {
        let ok = matches!(&self.result, Err(Error::Closed(c)) if cause(c));
        assert!(ok, "{self:?}");
    }

    /// Panics unless the call timed out or its connection was found
    /// dead with it waiting (which comes first is the machine's).
    fn timed_out_or_silent(&self) {
        match &self.result {
            Err(Error::Timeout(_)) => {}
            _ => self.closed_by(|c| matches!(c, CloseReason::PeerSilent(_))),
        }
    }
}

/// Panics unless the client's counts agree with `outcomes`, all of which
/// have ended: each answered call counted once as neither failed nor
/// abandoned, each closed one once as closed.
fn counted_once(client: &Client, outcomes: &[Outcome]) {
    let answered = outcomes.iter().filter(|o| o.is_answered()).count() as u64;
    let closed = outcomes
        .iter()
        .filter(|o| o.result.as_ref().is_err_and(Error::is_closed));
    let counts = client.stats().calls;
    let unfailed = counts.calls - counts.errors() - counts.abandoned;
    assert_eq!(unfailed, answered, "{counts:?}");
    assert_eq!(counts.closed, closed.count() as u64, "{counts:?}");
}

/// The status of the endpoint at `addr`.
fn endpoint(client: &Client, addr: SocketAddr) -> EndpointStatus {
    let addr = addr.into();
    let eps = client.endpoints().status();
    eps.into_iter()
        .find(|e| e.addr == addr)
        .expect("in the pool")
}

/// Waits until the client has dropped its first connection to `hostile`
/// and dialed another, and returns why the first one ended.
async fn replaced(client: &Client, hostile: &Peer) -> CloseReason {
    hostile
        .until("a second connection", |s| s.accepted >= 2)
        .await;
    let again = || endpoint(client, hostile.addr).reconnects >= 1;
    eventually("the pool counts the reconnect", again).await;
    let status = endpoint(client, hostile.addr);
    match status.last_error {
        Some(Error::Closed(reason)) => reason,
        other => panic!("the first connection did not end: {other:?}"),
    }
}

/// [`replaced`], within `limit` of the test's time.
async fn replaced_within(client: &Client, hostile: &Peer, limit: Duration) -> CloseReason {
    let replaced = tokio::time::timeout(limit, replaced(client, hostile)).await;
    replaced.unwrap_or_else(|_| panic!("the connection was not replaced within {limit:?}"))
}
