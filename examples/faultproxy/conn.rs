//! One proxied connection: two directions, each a reader that stamps and
//! queues chunks and a writer that forwards them when due, through the
//! faults in force.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Semaphore, SemaphorePermit};
use tokio::time::{sleep, sleep_until, Instant};

use super::{stopped, Counters, Direction, Faults, Stall, MAX_QUEUED};

/// Largest single read.
const READ_CHUNK: usize = 64 << 10;
/// Deadline for dialing the upstream for a new connection.
const DIAL_TIMEOUT: Duration = Duration::from_secs(3);

/// How a connection ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Still open.
    Open,
    /// Both directions finished, or the proxy stopped.
    Done,
    /// A fault closes both sides.
    Close,
    /// A fault resets both sides.
    Reset,
    /// A socket failed: reset the other side too, as a broken path would.
    Abort,
}

/// What every direction of one connection shares.
pub(super) struct Conn {
    pub(super) faults: watch::Receiver<Faults>,
    pub(super) stop: watch::Receiver<bool>,
    pub(super) counters: Arc<Counters>,
    /// The stall schedule's time zero.
    pub(super) epoch: Instant,
}

impl Conn {
    pub(super) async fn run(self, client: TcpStream, upstream: SocketAddr) {
        let end = self.proxy(client, upstream).await;
        match end {
            End::Reset => self.counters.resets.fetch_add(1, Relaxed),
            End::Close => self.counters.dropped.fetch_add(1, Relaxed),
            _ => 0,
        };
        self.counters.finished.fetch_add(1, Relaxed);
        tracing::debug!(?end, "connection over");
    }

    async fn proxy(&self, client: TcpStream, upstream: SocketAddr) -> End {
        let (refuse, close_within) = {
            let faults = self.faults.borrow();
            (faults.refuse, faults.close_within)
        };
        if refuse {
            return End::Close;
        }
        let server = match tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(upstream)).await {
            Ok(Ok(server)) => server,
            _ => {
                self.counters.dial_failures.fetch_add(1, Relaxed);
                return End::Done;
            }
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (mut client_rx, mut client_tx) = client.into_split();
        let (mut server_rx, mut server_tx) = server.into_split();
        let (end_tx, mut end_rx) = watch::channel(End::Open);
        let lifetime = close_within.map(|d| d.mul_f64(fastrand::f64()));
        let mut stop = self.stop.clone();
        let end = tokio::select! {
            _ = async {
                tokio::join!(
                    self.pipe(false, &mut client_rx, &mut server_tx, &end_tx),
                    self.pipe(true, &mut server_rx, &mut client_tx, &end_tx),
                )
            } => End::Done,
            end = end_rx.wait_for(|end| *end != End::Open) => end.map_or(End::Done, |end| *end),
            _ = stopped(&mut stop) => End::Done,
            _ = sleep(lifetime.unwrap_or_default()), if lifetime.is_some() => End::Close,
        };
        if matches!(end, End::Reset | End::Abort) {
            for side in [client_tx, server_tx] {
                // A zero linger never blocks on close; it makes close send
                // an RST. Dropping a write half would send a FIN first.
                #[allow(deprecated)]
                let _ = side.as_ref().set_linger(Some(Duration::ZERO));
                side.forget();
            }
        }
        end
    }

    /// Forwards one direction (`down`: upstream to client) until the
    /// sender's end of stream, then closes the write side. A failure or a
    /// byte-count fault ends the whole connection through `end`.
    async fn pipe(
        &self,
        down: bool,
        from: &mut OwnedReadHalf,
        to: &mut OwnedWriteHalf,
        end: &watch::Sender<End>,
    ) {
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        let budget = Semaphore::new(MAX_QUEUED);
        let read = async {
            if self.read_side(down, from, queue_tx, &budget).await.is_err() {
                finish(end, End::Abort);
            }
        };
        let write = async {
            if self.write_side(down, to, queue_rx, end).await.is_err() {
                finish(end, End::Abort);
            }
        };
        tokio::join!(read, write);
    }

    /// The faults of one direction, as they are now.
    fn direction(&self, down: bool) -> Direction {
        let faults = self.faults.borrow();
        if down { &faults.down } else { &faults.up }.clone()
    }

    /// Reads chunks and queues each with the time it is due.
    async fn read_side<'a>(
        &self,
        down: bool,
        from: &mut OwnedReadHalf,
        queue: mpsc::UnboundedSender<Chunk<'a>>,
        budget: &'a Semaphore,
    ) -> io::Result<()> {
        let mut buf = vec![0; READ_CHUNK];
        let mut last_due = Instant::now();
        loop {
            let n = from.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            let arrived = Instant::now();
            let fault = self.direction(down);
            let due = (arrived + jittered(fault.latency, fault.jitter)).max(last_due);
            last_due = due;
            let permit = budget
                .acquire_many(n as u32)
                .await
                .expect("the budget is never closed");
            let chunk = Chunk {
                data: Bytes::copy_from_slice(&buf[..n]),
                due,
                _permit: permit,
            };
            if queue.send(chunk).is_err() {
                return Ok(());
            }
        }
    }

    /// Forwards queued chunks when due, through stalls and the bandwidth
    /// cap, and ends the connection once a byte-count fault is reached.
    async fn write_side(
        &self,
        down: bool,
        to: &mut OwnedWriteHalf,
        mut queue: mpsc::UnboundedReceiver<Chunk<'_>>,
        end: &watch::Sender<End>,
    ) -> io::Result<()> {
        let mut faults = self.faults.clone();
        let mut bucket = Bucket::default();
        let mut sent = 0u64;
        let bytes = match down {
            true => &self.counters.bytes_down,
            false => &self.counters.bytes_up,
        };
        while let Some(chunk) = queue.recv().await {
            sleep_until(chunk.due).await;
            let mut data = chunk.data;
            while !data.is_empty() {
                self.unstalled(down, &mut faults).await;
                let fault = self.direction(down);
                if let Some(how) = fault.limit_reached(sent) {
                    finish(end, how);
                    return Ok(());
                }
                let mut n = data.len().min(fault.room(sent));
                if let Some(rate) = fault.bandwidth {
                    n = n.min(Bucket::burst(rate));
                    bucket.take(n, rate).await;
                }
                to.write_all(&data.split_to(n)).await?;
                sent += n as u64;
                bytes.fetch_add(n as u64, Relaxed);
                if let Some(how) = fault.limit_reached(sent) {
                    finish(end, how);
                    return Ok(());
                }
            }
        }
        to.shutdown().await
    }

    /// Waits while this direction is stalled, on command or on schedule.
    async fn unstalled(&self, down: bool, faults: &mut watch::Receiver<Faults>) {
        loop {
            faults.mark_unchanged();
            let fault = self.direction(down);
            if fault.stalled {
                if faults.changed().await.is_err() {
                    return;
                }
                continue;
            }
            let now = Instant::now();
            let Some(resume) = fault.stall.and_then(|s| s.resume_at(self.epoch, now)) else {
                return;
            };
            tokio::select! {
                _ = sleep_until(resume) => {}
                _ = faults.changed() => {}
            }
        }
    }
}

impl Direction {
    /// How the connection ends once `sent` bytes went this way, if it does.
    fn limit_reached(&self, sent: u64) -> Option<End> {
        if self.reset_after.is_some_and(|n| sent >= n) {
            Some(End::Reset)
        } else if self.close_after.is_some_and(|n| sent >= n) {
            Some(End::Close)
        } else {
            None
        }
    }

    /// Bytes that may still go this way before a byte-count fault.
    fn room(&self, sent: u64) -> usize {
        let limit = [self.reset_after, self.close_after]
            .into_iter()
            .flatten()
            .min();
        limit.map_or(usize::MAX, |n| {
            usize::try_from(n.saturating_sub(sent)).unwrap_or(usize::MAX)
        })
    }
}

impl Stall {
    /// When forwarding resumes, if `now` falls in a stall: the last
    /// `duration` of each `every` since `epoch`.
    fn resume_at(&self, epoch: Instant, now: Instant) -> Option<Instant> {
        let every = self.every.as_nanos().max(1);
        let phase = now.duration_since(epoch).as_nanos() % every;
        let to_next = u64::try_from(every - phase).unwrap_or(u64::MAX);
        (phase + self.duration.as_nanos() >= every).then(|| now + Duration::from_nanos(to_next))
    }
}

/// Bytes read from one side, waiting to be written to the other.
struct Chunk<'a> {
    data: Bytes,
    /// When to write it: read time + latency ± jitter, never before the
    /// previous chunk.
    due: Instant,
    /// Its share of the direction's [`MAX_QUEUED`], given back once written.
    _permit: SemaphorePermit<'a>,
}

/// `latency` ± up to `jitter`, uniformly.
fn jittered(latency: Duration, jitter: Duration) -> Duration {
    let offset = jitter.mul_f64(fastrand::f64() * 2.0);
    (latency + offset).saturating_sub(jitter)
}

/// A token bucket for the bandwidth cap; tokens may go negative (a debt
/// paid by waiting), so each write waits exactly for its own bytes.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            tokens: f64::INFINITY,
            refilled: Instant::now(),
        }
    }
}

impl Bucket {
    /// The most bytes sent at once: 50 ms worth, at least one byte.
    fn burst(rate: u64) -> usize {
        (rate / 20).clamp(1, READ_CHUNK as u64) as usize
    }

    /// Takes `n` bytes' worth of tokens, waiting for the ones missing.
    async fn take(&mut self, n: usize, rate: u64) {
        let rate = rate.max(1) as f64;
        let now = Instant::now();
        let refill = now.duration_since(self.refilled).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(Bucket::burst(rate as u64) as f64) - n as f64;
        self.refilled = now;
        if self.tokens < 0.0 {
            sleep(Duration::from_secs_f64(-self.tokens / rate)).await;
        }
    }
}

/// Records how the connection ends, unless an earlier cause already did.
fn finish(end: &watch::Sender<End>, how: End) {
    end.send_if_modified(|end| {
        let first = *end == End::Open;
        if first {
            *end = how;
        }
        first
    });
}
