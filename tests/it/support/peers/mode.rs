//! [`Mode`]: how a [`Peer`](super::Peer) misbehaves, and what it writes
//! for each request it reads.

use std::time::Duration;

use jsonmux::{Code, HelloService, Message, Resp};
use serde_json::json;

/// How a [`Peer`](super::Peer) misbehaves, on every connection it accepts.
/// Most modes are driven by the requests: each request read gets what its
/// mode writes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode {
    // Answers that are not the calls' own.
    /// Answers each request with a `Uid` nobody sent (`ghost-<uid>`),
    /// never with its own.
    UnknownUids,
    /// Answers each request with its own answer, just after one to a `Uid`
    /// nobody sent (`ghost-<uid>`), both in one write.
    GhostThenAnswer,
    /// Answers each request twice, both in one write.
    DuplicateAnswers,
    /// Writes answers nobody asked for ([`FLOOD_BATCH`] every
    /// [`FLOOD_EVERY`]) from the moment it accepts; reads requests and
    /// answers none.
    Flood,

    // Bytes no answer is made of.
    /// Answers each request with bytes that are not JSON.
    Garbage,
    /// Answers with a field of the wrong JSON type.
    WrongType(Wrong),
    /// Answers the first request with an answer this long that never
    /// ends: `{"Uid":"…","Val":"aaaa…` streamed in chunks, never held
    /// whole; stops at the first failed write.
    Unterminated(usize),
    /// Writes the first half of the first answer, then closes (FIN).
    CloseMidFrame,

    // Stalls.
    /// Reads every request, answers none.
    Silent,
    /// Answers the requests this picks; reads the others and answers none.
    Drops(fn(&Message) -> bool),
    /// Writes each answer one byte at a time, this long apart.
    Trickle(Duration),
    /// Reads nothing (and its receive buffer holds little: 4 KiB) until
    /// the test calls [`Peer::start_reading`](super::Peer::start_reading),
    /// then answers every request; the connection stays open.
    StopsReading,

    // Hang-ups and last words.
    /// Accepts, then closes at once.
    AcceptThenClose,
    /// Answers this many requests, then resets (RST, `SO_LINGER` 0) on
    /// the next one.
    ResetAfter(usize),
    /// Accepts one connection and stops listening (a redial finds nothing
    /// there); reads this many requests, answers none, then hangs up.
    Dies(usize, HangUp),
    /// Reads two requests and answers the second with an error about the
    /// whole connection (no `Uid`, [`Code::BadRequest`], [`LAST_WORD`]):
    /// its last word, the first request left unanswered. Then closes or
    /// stays as [`Then`] says.
    LastWord(Then),
    /// Answers each request with a going-away notice (an error answer
    /// about the whole connection), never with its answer.
    GoingAway,
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

/// How a peer hangs up.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HangUp {
    /// An orderly close (FIN).
    Close,
    /// An abortive close (RST, `SO_LINGER` 0).
    Reset,
}

/// What a [`Mode::LastWord`] peer does after its last word.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Then {
    /// Closes the connection (FIN: it has read every request).
    Close,
    /// Keeps the connection open, reading requests and answering none.
    StayOpen,
}

/// Unsolicited answers per [`Mode::Flood`] write.
pub(crate) const FLOOD_BATCH: usize = 16;
/// Time between two [`Mode::Flood`] writes: the runtime idles in between,
/// so a paused clock can move.
pub(crate) const FLOOD_EVERY: Duration = Duration::from_millis(1);
/// The message of a [`Mode::LastWord`] peer's last word.
pub(crate) const LAST_WORD: &str = "that was bad";

/// What to do for one request.
pub(super) enum Act {
    Write(Vec<u8>),
    Trickle(Vec<u8>, Duration),
    Unterminated(Message, usize),
    WriteThenClose(Vec<u8>),
    HangUp(HangUp),
    Nothing,
}

impl Mode {
    /// What this mode does for `msg`, the `nth` request on its connection.
    pub(super) fn act(self, msg: Message, nth: usize) -> Act {
        let uid = msg.uid.clone();
        match self {
            Mode::UnknownUids => Act::Write(ghost(&uid)),
            Mode::GhostThenAnswer => Act::Write([ghost(&uid), answer(msg)].concat()),
            Mode::DuplicateAnswers => Act::Write(answer(msg).repeat(2)),
            Mode::Garbage => Act::Write(b"\x00\xff\xfe not json at all\n".to_vec()),
            Mode::WrongType(wrong) => Act::Write(line(match wrong {
                Wrong::ValNumber => json!({"Uid": uid, "Val": 123, "Ts": "t"}),
                Wrong::UidNull => json!({"Uid": null, "Val": "server: hello", "Ts": "t"}),
                Wrong::TsObject => json!({"Uid": uid, "Val": "server: hello", "Ts": {}}),
            })),
            Mode::Unterminated(len) if nth == 0 => Act::Unterminated(msg, len),
            Mode::CloseMidFrame if nth == 0 => {
                let mut half = answer(msg);
                half.truncate(half.len() / 2);
                Act::WriteThenClose(half)
            }
            Mode::Drops(keep) if keep(&msg) => Act::Write(answer(msg)),
            Mode::Trickle(every) => Act::Trickle(answer(msg), every),
            Mode::StopsReading => Act::Write(answer(msg)),
            Mode::ResetAfter(n) if nth < n => Act::Write(answer(msg)),
            Mode::ResetAfter(_) => Act::HangUp(HangUp::Reset),
            Mode::Dies(n, how) if nth + 1 == n => Act::HangUp(how),
            Mode::LastWord(then) if nth == 1 => {
                let last_word = error_line(Code::BadRequest, LAST_WORD);
                match then {
                    Then::Close => Act::WriteThenClose(last_word),
                    Then::StayOpen => Act::Write(last_word),
                }
            }
            Mode::GoingAway => Act::Write(error_line(Code::GoingAway, "going away")),
            Mode::Unterminated(_)
            | Mode::CloseMidFrame
            | Mode::Drops(_)
            | Mode::Dies(..)
            | Mode::LastWord(_)
            | Mode::Silent
            | Mode::Flood
            | Mode::AcceptThenClose => Act::Nothing,
        }
    }
}

/// The Go server's answer to `msg`, as a line.
fn answer(msg: Message) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(&HelloService::hello(msg)).unwrap();
    bytes.push(b'\n');
    bytes
}

/// An answer to `ghost-<uid>`, which nobody sent.
fn ghost(uid: &str) -> Vec<u8> {
    line(json!({"Uid": format!("ghost-{uid}"), "Val": "boo"}))
}

/// An error answer about the whole connection (no `Uid`).
fn error_line(code: Code, message: &str) -> Vec<u8> {
    line(serde_json::to_value(Resp::error("", code, message)).unwrap())
}

pub(super) fn line(value: serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(&value).unwrap();
    bytes.push(b'\n');
    bytes
}
