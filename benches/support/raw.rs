//! A minimal hand-written multiplexed client: the baseline jsonmux's stack
//! is measured against (`benches/client.rs`, `examples/loadgen`).
//!
//! ```text
//! call ─ map.insert(Uid, oneshot) ─ mpsc ─ writer task: drain the channel into one buffer, one write_all
//!                                          reader task: read, split on '\n', parse, map.remove(Uid).send
//! ```
//!
//! No tower, no tokio-tower, no codec: just what correlating answers by
//! `Uid` over one socket needs. When the connection ends, every call in
//! flight fails with [`RawError::Closed`].

// Included by a bench and by an example; each uses only part of it.
#![allow(dead_code)]

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use jsonmux::{Message, Resp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, oneshot};

/// Most bytes the writer gathers before one `write_all`.
const MAX_BATCH: usize = 256 * 1024;

/// Why a raw call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawError {
    /// The connection ended before the answer came.
    Closed,
    /// No answer within the client's timeout.
    Timeout,
    /// A call with this `Uid` is already waiting.
    DuplicateUid,
}

impl RawError {
    /// A short, stable name for counting errors by kind.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            RawError::Closed => "closed",
            RawError::Timeout => "timeout",
            RawError::DuplicateUid => "duplicate_uid",
        }
    }
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RawError::Closed => "connection closed before the answer came",
            RawError::Timeout => "no answer within the timeout",
            RawError::DuplicateUid => "a call with this uid is already waiting",
        })
    }
}

/// Callers waiting for an answer, by `Uid`.
#[derive(Default)]
struct Waiters {
    by_uid: HashMap<String, oneshot::Sender<Resp>>,
    /// Set once the connection ended: later calls fail at once.
    closed: bool,
}

type Shared = Arc<Mutex<Waiters>>;

fn lock(w: &Shared) -> MutexGuard<'_, Waiters> {
    w.lock().unwrap_or_else(|p| p.into_inner())
}

/// Fails every waiting call and every later one.
fn close(w: &Shared) {
    let mut w = lock(w);
    w.closed = true;
    w.by_uid.clear(); // dropping the senders tells the callers
}

/// One connection; cheap to clone, clones share it.
#[derive(Clone)]
pub(crate) struct RawClient {
    requests: mpsc::UnboundedSender<Message>,
    waiters: Shared,
    timeout: Option<Duration>,
}

impl RawClient {
    /// Connects and starts the writer and reader tasks.
    pub(crate) async fn connect(addr: impl ToSocketAddrs) -> std::io::Result<RawClient> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (rd, wr) = stream.into_split();
        let (requests, rx) = mpsc::unbounded_channel();
        let waiters = Shared::default();
        tokio::spawn(write_loop(wr, rx, waiters.clone()));
        tokio::spawn(read_loop(rd, waiters.clone()));
        Ok(RawClient {
            requests,
            waiters,
            timeout: None,
        })
    }

    /// Gives every call this deadline (default: none).
    pub(crate) fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// True once the connection has ended: every call fails from then on.
    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.waiters).closed
    }

    /// Sends `msg` and waits for the answer with the same `Uid`.
    pub(crate) async fn call(&self, msg: Message) -> Result<Resp, RawError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut w = lock(&self.waiters);
            if w.closed {
                return Err(RawError::Closed);
            }
            match w.by_uid.entry(msg.uid.clone()) {
                Entry::Occupied(_) => return Err(RawError::DuplicateUid),
                Entry::Vacant(v) => v.insert(tx),
            };
        }
        let Some(timeout) = self.timeout else {
            // If the writer is gone, `close` has dropped our sender (or will).
            let _ = self.requests.send(msg);
            return rx.await.map_err(|_| RawError::Closed);
        };
        let uid = msg.uid.clone();
        let _ = self.requests.send(msg);
        match tokio::time::timeout(timeout, rx).await {
            Ok(answer) => answer.map_err(|_| RawError::Closed),
            Err(_) => {
                // Forget the waiter; a late answer then goes nowhere.
                lock(&self.waiters).by_uid.remove(&uid);
                Err(RawError::Timeout)
            }
        }
    }
}

/// Writes every request queued, as few writes as possible.
async fn write_loop(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Message>,
    waiters: Shared,
) {
    let mut buf = Vec::with_capacity(64 * 1024);
    while let Some(msg) = rx.recv().await {
        buf.clear();
        let mut next = Some(msg);
        while let Some(msg) = next {
            serde_json::to_writer(&mut buf, &msg).expect("a Message always serializes");
            buf.push(b'\n');
            next = if buf.len() < MAX_BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if wr.write_all(&buf).await.is_err() {
            break;
        }
    }
    close(&waiters);
    // Dropping `wr` sends FIN: the server answers what it has, then closes.
}

/// Reads answer lines and hands each to the caller waiting for its `Uid`.
async fn read_loop(mut rd: OwnedReadHalf, waiters: Shared) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut answers = Vec::new();
    'read: loop {
        // Room for a large read; reclaims the space of lines already handled.
        buf.reserve(32 * 1024);
        match rd.read_buf(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        while let Some(nl) = memchr::memchr(b'\n', &buf) {
            match serde_json::from_slice::<Resp>(&buf[..nl]) {
                Ok(resp) => answers.push(resp),
                Err(_) => break 'read, // not our protocol: give up on the connection
            }
            buf.advance(nl + 1);
        }
        if answers.is_empty() {
            continue;
        }
        let mut w = lock(&waiters);
        for resp in answers.drain(..) {
            if let Some(tx) = w.by_uid.remove(&resp.uid) {
                let _ = tx.send(resp);
            }
        }
    }
    close(&waiters);
}
