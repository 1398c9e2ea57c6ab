//! One connection a [`Peer`](super::Peer) accepted, served as its
//! [`Mode`] says, every byte it writes counted in [`Seen`].

use std::time::Duration;

use futures_util::StreamExt;
use jsonmux::{JsonCodec, Message};
use serde_json::json;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::codec::FramedRead;

use super::mode::{line, Act, HangUp, Mode, FLOOD_BATCH, FLOOD_EVERY};
use super::Seen;

/// One accepted connection, as `mode` says. A [`Mode::StopsReading`]
/// connection waits until `reading` is true.
pub(super) async fn serve(
    stream: TcpStream,
    mode: Mode,
    tell: watch::Sender<Seen>,
    mut reading: watch::Receiver<bool>,
) {
    match mode {
        Mode::AcceptThenClose => return hang_up(stream, HangUp::Close, &tell),
        Mode::Dies(0, how) => return hang_up(stream, how, &tell),
        Mode::StopsReading => {
            // The connection stays open, unread, until the test says.
            let told = reading.wait_for(|r| *r).await;
            told.expect("the peer outlives its connections");
        }
        Mode::Flood => return flood(stream, tell).await,
        _ => {}
    }
    let mut requests = FramedRead::new(stream, JsonCodec::<Message>::new());
    let mut nth = 0;
    while let Some(Ok(msg)) = requests.next().await {
        tell.send_modify(|s| s.read.push(msg.uid.clone()));
        let out = requests.get_mut();
        let written = match mode.act(msg, nth) {
            Act::Write(bytes) => write(out, &bytes, &tell).await,
            Act::Trickle(bytes, every) => trickle(out, &bytes, every, &tell).await,
            Act::Unterminated(msg, len) => unterminated(out, &msg.uid, len, &tell).await,
            Act::WriteThenClose(bytes) => {
                write(out, &bytes, &tell).await;
                return hang_up(requests.into_inner(), HangUp::Close, &tell);
            }
            Act::HangUp(how) => return hang_up(requests.into_inner(), how, &tell),
            Act::Nothing => true,
        };
        if !written {
            return;
        }
        nth += 1;
    }
}

/// Hangs up `stream` as `how` says, counting it.
fn hang_up(stream: TcpStream, how: HangUp, tell: &watch::Sender<Seen>) {
    if let HangUp::Reset = how {
        socket2::SockRef::from(&stream)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    }
    drop(stream);
    tell.send_modify(|s| s.hung_up += 1);
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
                Some(Ok(msg)) => tell.send_modify(|s| s.read.push(msg.uid)),
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
