//! A fault-injecting TCP proxy on loopback: latency with jitter, a
//! bandwidth cap, stalls, resets and dropped connections, each direction on
//! its own, changeable while it runs. For tests and scripts on machines
//! without `netem`.
//!
//! ```text
//! client ──► listener ─┬─ up:   read ─► queue (stamped) ─► write at stamp + latency ─► upstream
//!                      └─ down: write ◄─ queue (stamped) ◄─ read ◄───────────────────── upstream
//! ```
//!
//! Each direction of a connection reads as fast as its peer sends and
//! queues the chunks with the time each is due; a writer forwards each chunk
//! when it is due, so latency delays the data without cutting the
//! throughput. The queue holds at most [`MAX_QUEUED`] bytes; past that the
//! proxy stops reading and TCP pushes back on the sender.
//!
//! Self-contained (tokio, bytes, fastrand, tracing) so that tests include it
//! with `#[path = "../examples/faultproxy/proxy.rs"] mod proxy;` (which
//! brings `conn.rs`, one connection's forwarding, along).

// Each includer uses a part of the API.
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::{sleep, Instant};

#[path = "conn.rs"]
mod conn;

use conn::Conn;

/// Bytes read but not yet forwarded, per direction of a connection.
pub(crate) const MAX_QUEUED: usize = 4 << 20;

/// The faults applied to one direction of every connection.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Direction {
    /// Added to every byte's trip; order is kept.
    pub(crate) latency: Duration,
    /// Each chunk's delay is `latency` ± up to this much, uniformly (never
    /// before an earlier chunk: order is kept).
    pub(crate) jitter: Duration,
    /// Bytes per second at most (a token bucket with 50 ms of burst).
    pub(crate) bandwidth: Option<u64>,
    /// Forward nothing for `duration` in each `every`, on a schedule shared
    /// by all connections (it starts with the proxy).
    pub(crate) stall: Option<Stall>,
    /// Forward nothing until this is turned off again (a stall on command).
    pub(crate) stalled: bool,
    /// Once this many bytes went this way on a connection, reset both of
    /// its sides (`SO_LINGER` 0, then close: the peers see an RST).
    pub(crate) reset_after: Option<u64>,
    /// Once this many bytes went this way on a connection, close both of
    /// its sides.
    pub(crate) close_after: Option<u64>,
}

/// A periodic stall: nothing moves for `duration` at the end of each `every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stall {
    pub(crate) every: Duration,
    pub(crate) duration: Duration,
}

/// Everything the proxy does wrong, in both directions.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Faults {
    /// Client to upstream.
    pub(crate) up: Direction,
    /// Upstream to client.
    pub(crate) down: Direction,
    /// Accept each connection and close it at once, dialing nothing.
    pub(crate) refuse: bool,
    /// Close each new connection, both sides, after a random time below this.
    pub(crate) close_within: Option<Duration>,
}

impl Faults {
    /// The same faults in both directions.
    pub(crate) fn both(direction: Direction) -> Faults {
        Faults {
            up: direction.clone(),
            down: direction,
            ..Faults::default()
        }
    }
}

/// What the proxy has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Connections accepted from clients.
    pub(crate) accepted: u64,
    /// Connections open now.
    pub(crate) open: u64,
    /// Connections reset by a fault.
    pub(crate) resets: u64,
    /// Connections closed by a fault (`refuse`, `close_after`, `close_within`).
    pub(crate) dropped: u64,
    /// Connections whose upstream could not be dialed.
    pub(crate) dial_failures: u64,
    /// Bytes forwarded from clients to the upstream.
    pub(crate) bytes_up: u64,
    /// Bytes forwarded from the upstream to clients.
    pub(crate) bytes_down: u64,
}

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    finished: AtomicU64,
    resets: AtomicU64,
    dropped: AtomicU64,
    dial_failures: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
}

/// A running proxy: change its faults, read its counts, stop it.
/// Dropping it stops the proxy too.
#[derive(Debug)]
#[must_use = "dropping the handle stops the proxy"]
pub(crate) struct FaultProxy {
    faults: watch::Sender<Faults>,
    stop: watch::Sender<bool>,
    counters: Arc<Counters>,
}

impl FaultProxy {
    /// Proxies a new listener on `127.0.0.1:0` to `upstream`.
    pub(crate) async fn start(
        upstream: SocketAddr,
        faults: Faults,
    ) -> io::Result<(SocketAddr, FaultProxy)> {
        FaultProxy::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), upstream, faults).await
    }

    /// Proxies a listener on `listen` to `upstream`; both must be loopback
    /// addresses. Returns the bound address.
    pub(crate) async fn start_on(
        listen: SocketAddr,
        upstream: SocketAddr,
        faults: Faults,
    ) -> io::Result<(SocketAddr, FaultProxy)> {
        if !listen.ip().is_loopback() || !upstream.ip().is_loopback() {
            let msg = "the fault proxy only runs between loopback addresses";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (faults, faults_rx) = watch::channel(faults);
        let (stop, stop_rx) = watch::channel(false);
        let counters = Arc::new(Counters::default());
        let accept = accept_loop(listener, upstream, faults_rx, stop_rx, counters.clone());
        tokio::spawn(accept);
        let proxy = FaultProxy {
            faults,
            stop,
            counters,
        };
        Ok((addr, proxy))
    }

    /// Replaces the faults; open connections follow them from their next chunk.
    pub(crate) fn set(&self, faults: Faults) {
        self.faults.send_replace(faults);
    }

    /// Changes the faults in place, e.g. `proxy.update(|f| f.down.stalled = false)`.
    pub(crate) fn update(&self, change: impl FnOnce(&mut Faults)) {
        self.faults.send_modify(change);
    }

    /// The faults in force.
    pub(crate) fn faults(&self) -> Faults {
        self.faults.borrow().clone()
    }

    /// What the proxy has done so far.
    pub(crate) fn counts(&self) -> Counts {
        let c = &self.counters;
        let accepted = c.accepted.load(Relaxed);
        Counts {
            accepted,
            open: accepted.saturating_sub(c.finished.load(Relaxed)),
            resets: c.resets.load(Relaxed),
            dropped: c.dropped.load(Relaxed),
            dial_failures: c.dial_failures.load(Relaxed),
            bytes_up: c.bytes_up.load(Relaxed),
            bytes_down: c.bytes_down.load(Relaxed),
        }
    }

    /// Stops accepting and closes every connection.
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Completes once the proxy is told to stop (or its handle is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    faults: watch::Receiver<Faults>,
    mut stop: watch::Receiver<bool>,
    counters: Arc<Counters>,
) {
    let epoch = Instant::now();
    loop {
        let client = tokio::select! {
            _ = stopped(&mut stop) => return,
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => client,
                Err(e) => {
                    // Out of file descriptors, most likely: let some close.
                    tracing::warn!(error = %e, "accept failed");
                    sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        counters.accepted.fetch_add(1, Relaxed);
        let conn = Conn {
            faults: faults.clone(),
            stop: stop.clone(),
            counters: counters.clone(),
            epoch,
        };
        tokio::spawn(conn.run(client, upstream));
    }
}
