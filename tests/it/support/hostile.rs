//! [`Hostile`]: a peer on loopback that breaks the protocol in one way,
//! chosen by its [`Mode`], on every connection it accepts.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use jsonmux::{Code, HelloService, JsonCodec, Message, Resp};
use serde_json::json;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;
use tokio_util::codec::FramedRead;

use super::time::bounded;

/// How a [`Hostile`] peer misbehaves. Most modes are driven by the
/// requests: each request read gets what its mode writes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode {
    /// Answers each request with a `Uid` nobody sent (`ghost-<uid>`).
    UnknownUids,
    /// Answers each request twice, both in one write.
    DuplicateAnswers,
    /// Answers the first request with an answer this long that never
    /// ends: `{"Uid":"…","Val":"aaaa…` streamed in chunks, never held
    /// whole; stops at the first failed write.
    Unterminated(usize),
    /// Answers each request with bytes that are not JSON.
    Garbage,
    /// Reads every request, answers none.
    Silent,
    /// Writes the first half of the first answer, then closes (FIN).
    CloseMidFrame,
    /// Writes each answer one byte at a time, this long apart.
    Trickle(Duration),
    /// Answers this many requests, then resets (RST, `SO_LINGER` 0) on
    /// the next one.
    ResetAfter(usize),
    /// Answers with a field of the wrong JSON type.
    WrongType(Wrong),
    /// Writes answers nobody asked for ([`FLOOD_BATCH`] every
    /// [`FLOOD_EVERY`]) from the moment it accepts; reads requests and
    /// answers none.
    Flood,
    /// Accepts, then closes at once.
    AcceptThenClose,
    /// Answers the first request with an error about the whole
    /// connection (no `Uid`, [`Code::BadRequest`]): its last word; then
    /// reads requests and answers none, the connection left open.
    LastWord,
    /// Answers each request with a going-away notice (an error answer
    /// about the whole connection), never with its answer.
    GoingAway,
    /// Accepts, then never reads nor writes; the connection stays open.
    StopsReading,
}

/// Which field of an answer has the wrong JSON type.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Wrong {
    /// `"Val":123`.
    ValNumber,
    /// `"Uid":null` (which Go-compatible reading takes as an empty `Uid`).
    UidNull,
    /// `"Ts":{}`.
    TsObject,
}

/// Unsolicited answers per [`Mode::Flood`] write.
pub(crate) const FLOOD_BATCH: usize = 16;
/// Time between two [`Mode::Flood`] writes: the runtime idles in between,
/// so a paused clock can move.
pub(crate) const FLOOD_EVERY: Duration = Duration::from_millis(1);

/// What a [`Hostile`] peer has seen and done so far.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Seen {
    /// Connections accepted.
    pub(crate) accepted: usize,
    /// Requests read, over every connection.
    pub(crate) requests: usize,
    /// Bytes written, over every connection.
    pub(crate) written: u64,
    /// Writes that failed (the client had closed or reset the connection).
    pub(crate) write_errors: usize,
}

/// A peer on an ephemeral loopback port that misbehaves as its [`Mode`]
/// says on every connection; it stops (and drops its connections) when
/// dropped.
#[derive(Debug)]
pub(crate) struct Hostile {
    pub(crate) addr: SocketAddr,
    seen: watch::Receiver<Seen>,
    /// The accept loop, which owns every connection's task.
    task: tokio::task::AbortHandle,
}

impl Hostile {
    /// Starts a peer in `mode`.
    pub(crate) async fn start(mode: Mode) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tell, seen) = watch::channel(Seen::default());
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                stream.set_nodelay(true).unwrap();
                tell.send_modify(|s| s.accepted += 1);
                conns.spawn(serve(stream, mode, tell.clone()));
            }
        });
        Hostile {
            addr,
            seen,
            task: task.abort_handle(),
        }
    }

    /// What it has seen and done so far.
    pub(crate) fn seen(&self) -> Seen {
        *self.seen.borrow()
    }

    /// Waits until what it has seen and done satisfies `cond`.
    pub(crate) async fn until(&self, what: &str, cond: impl FnMut(&Seen) -> bool) -> Seen {
        let mut seen = self.seen.clone();
        let got = bounded(what, seen.wait_for(cond)).await.map(|s| *s);
        got.expect("the accept loop lives as long as the peer")
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What to do for one request.
enum Act {
    Write(Vec<u8>),
    Trickle(Vec<u8>, Duration),
    Unterminated(Message, usize),
    WriteThenClose(Vec<u8>),
    Reset,
    Nothing,
}

impl Mode {
    /// What this mode does for `msg`, the `nth` request on its connection.
    fn act(self, msg: Message, nth: usize) -> Act {
        let uid = msg.uid.clone();
        match self {
            Mode::UnknownUids => Act::Write(line(json!({
                "Uid": format!("ghost-{uid}"),
                "Val": "boo",
            }))),
            Mode::DuplicateAnswers => Act::Write(answer(msg).repeat(2)),
            Mode::Unterminated(len) if nth == 0 => Act::Unterminated(msg, len),
            Mode::Garbage => Act::Write(b"\x00\xff\xfe not json at all\n".to_vec()),
            Mode::CloseMidFrame if nth == 0 => {
                let mut half = answer(msg);
                half.truncate(half.len() / 2);
                Act::WriteThenClose(half)
            }
            Mode::Trickle(every) => Act::Trickle(answer(msg), every),
            Mode::ResetAfter(n) if nth < n => Act::Write(answer(msg)),
            Mode::ResetAfter(_) => Act::Reset,
            Mode::WrongType(wrong) => Act::Write(line(match wrong {
                Wrong::ValNumber => json!({"Uid": uid, "Val": 123, "Ts": "t"}),
                Wrong::UidNull => json!({"Uid": null, "Val": "server: hello", "Ts": "t"}),
                Wrong::TsObject => json!({"Uid": uid, "Val": "server: hello", "Ts": {}}),
            })),
            Mode::LastWord if nth == 0 => {
                let last_word = Resp::error("", Code::BadRequest, "that was bad");
                Act::Write(line(serde_json::to_value(last_word).unwrap()))
            }
            Mode::GoingAway => {
                let notice = Resp::error("", Code::GoingAway, "going away");
                Act::Write(line(serde_json::to_value(notice).unwrap()))
            }
            Mode::Unterminated(_)
            | Mode::LastWord
            | Mode::CloseMidFrame
            | Mode::Silent
            | Mode::Flood
            | Mode::AcceptThenClose
            | Mode::StopsReading => Act::Nothing,
        }
    }
}

/// The seed's answer to `msg`, as a line.
fn answer(msg: Message) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(&HelloService::hello(msg)).unwrap();
    bytes.push(b'\n');
    bytes
}

fn line(value: serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(&value).unwrap();
    bytes.push(b'\n');
    bytes
}

/// One accepted connection, as `mode` says.
async fn serve(stream: TcpStream, mode: Mode, tell: watch::Sender<Seen>) {
    match mode {
        Mode::AcceptThenClose => return,
        Mode::StopsReading => {
            // Holds the connection open, unread, until the peer is dropped.
            let _held = stream;
            return std::future::pending().await;
        }
        Mode::Flood => return flood(stream, tell).await,
        _ => {}
    }
    let mut requests = FramedRead::new(stream, JsonCodec::<Message>::new());
    let mut nth = 0;
    while let Some(Ok(msg)) = requests.next().await {
        tell.send_modify(|s| s.requests += 1);
        let out = requests.get_mut();
        let written = match mode.act(msg, nth) {
            Act::Write(bytes) => write(out, &bytes, &tell).await,
            Act::Trickle(bytes, every) => trickle(out, &bytes, every, &tell).await,
            Act::Unterminated(msg, len) => unterminated(out, &msg.uid, len, &tell).await,
            Act::WriteThenClose(bytes) => {
                write(out, &bytes, &tell).await;
                return;
            }
            Act::Reset => {
                let stream = requests.into_inner();
                socket2::SockRef::from(&stream)
                    .set_linger(Some(Duration::ZERO))
                    .unwrap();
                return;
            }
            Act::Nothing => true,
        };
        if !written {
            return;
        }
        nth += 1;
    }
}

/// Writes `bytes`, counting them; false if the write failed.
async fn write(
    out: &mut (impl AsyncWrite + Unpin),
    bytes: &[u8],
    tell: &watch::Sender<Seen>,
) -> bool {
    match out.write_all(bytes).await {
        Ok(()) => {
            tell.send_modify(|s| s.written += bytes.len() as u64);
            true
        }
        Err(_) => {
            tell.send_modify(|s| s.write_errors += 1);
            false
        }
    }
}

/// Writes `bytes` one at a time, `every` apart.
async fn trickle(
    out: &mut TcpStream,
    bytes: &[u8],
    every: Duration,
    tell: &watch::Sender<Seen>,
) -> bool {
    for byte in bytes.chunks(1) {
        tokio::time::sleep(every).await;
        if !write(out, byte, tell).await {
            return false;
        }
    }
    true
}

/// Writes an answer to `uid` of `len` bytes that never ends, from one
/// static chunk, so the peer never holds it in memory.
async fn unterminated(
    out: &mut TcpStream,
    uid: &str,
    len: usize,
    tell: &watch::Sender<Seen>,
) -> bool {
    static CHUNK: [u8; 64 * 1024] = [b'a'; 64 * 1024];
    let head = format!("{{\"Uid\":{},\"Val\":\"", json!(uid));
    if !write(out, head.as_bytes(), tell).await {
        return false;
    }
    let mut left = len.saturating_sub(head.len());
    while left > 0 {
        let n = left.min(CHUNK.len());
        if !write(out, &CHUNK[..n], tell).await {
            return false;
        }
        left -= n;
    }
    true
}

/// [`Mode::Flood`]: unsolicited answers every [`FLOOD_EVERY`], while the
/// requests are read and left unanswered.
async fn flood(stream: TcpStream, tell: watch::Sender<Seen>) {
    let (read, mut out) = stream.into_split();
    let mut requests = FramedRead::new(read, JsonCodec::<Message>::new());
    let batch: Vec<u8> = (0..FLOOD_BATCH)
        .flat_map(|i| line(json!({"Uid": format!("flood-{i}"), "Val": "unasked"})))
        .collect();
    let mut every = tokio::time::interval(FLOOD_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            request = requests.next() => match request {
                Some(Ok(_)) => tell.send_modify(|s| s.requests += 1),
                _ => return,
            },
            _ = every.tick() => {
                if !write(&mut out, &batch, &tell).await {
                    return;
                }
            }
        }
    }
}
