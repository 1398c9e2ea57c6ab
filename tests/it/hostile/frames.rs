//! Bytes no answer is made of: garbage, an answer cut off by a close, one
//! that never ends, fields of the wrong JSON type. Each costs its
//! connection (every call on it fails with the protocol error as the
//! cause), the pool dials another, and nothing more is held.

use jsonmux::{CloseReason, CodecError};

/// The largest frame a client takes by default: 1 MiB.
const DEFAULT_MAX_FRAME_LEN: usize = 1024 * 1024;

use super::*;
use crate::support::peers::{Mode, Peer, Wrong};
use crate::support::time::with_paused_clock;

/// Makes `n` calls at once over one connection to a peer in `mode`:
/// each must fail with `Closed` by a cause `cause` accepts, and the
/// connection be replaced for that cause, with nothing left in flight.
async fn costs_its_connection(
    engine: Engine,
    mode: Mode,
    n: usize,
    cause: fn(&CloseReason) -> bool,
) -> Peer {
    let hostile = Peer::start(mode).await;
    let client = connect(builder(engine), &[hostile.addr]).await;
    let outcomes = calls(&client, "c", n).await;
    outcomes.iter().for_each(|o| o.closed_by(cause));
    counted_once(&client, &outcomes);
    let why = replaced(&client, &hostile).await;
    assert!(cause(&why), "{why:?}");
    assert_eq!(client.stats().in_flight, 0, "the calls ended with it");
    hostile
}

fn protocol(e: &CloseReason) -> Option<&CodecError> {
    match e {
        CloseReason::Protocol(e) => Some(e),
        _ => None,
    }
}

per_engine! {
    /// Bytes that are not JSON fail the calls with `Protocol(NotAnObject)` and replace the connection.
    fn garbage_fails_the_calls_with_a_protocol_error_and_replaces_the_connection(engine: Engine) {
        with_paused_clock(move || async move {
            let not_an_object = |e: &CloseReason| matches!(protocol(e), Some(CodecError::NotAnObject(0)));
            costs_its_connection(engine, Mode::Garbage, 3, not_an_object).await;
        })
    }
}

per_engine! {
    /// Half an answer then a close fails the call with `Protocol(Truncated)` and replaces the connection.
    fn an_answer_cut_off_by_a_close_is_truncated_and_replaces_the_connection(engine: Engine) {
        with_paused_clock(move || async move {
            // One call: the peer closes having read every request, so the
            // close is a FIN (unread requests would make it a reset).
            let truncated = |e: &CloseReason| matches!(protocol(e), Some(CodecError::Truncated));
            costs_its_connection(engine, Mode::CloseMidFrame, 1, truncated).await;
        })
    }
}

per_engine! {
    /// A 64 MiB answer that never ends is cut at the frame limit: `FrameTooLarge`, the peer's stream refused.
    fn an_unterminated_64_mib_answer_is_cut_at_the_frame_limit(engine: Engine) {
        with_paused_clock(move || async move {
            let len = 64 << 20;
            let too_large = |e: &CloseReason| {
                matches!(protocol(e), Some(CodecError::FrameTooLarge(DEFAULT_MAX_FRAME_LEN)))
            };
            let hostile = costs_its_connection(engine, Mode::Unterminated(len), 3, too_large).await;
            // The client stopped reading at its limit and closed: the rest
            // of the answer had nowhere to go.
            let seen = hostile.until("the peer's write refused", |s| s.write_errors >= 1).await;
            assert!(seen.written < len as u64, "{seen:?}");
        })
    }
}

per_engine! {
    /// `"Val":123` fails the calls with `Protocol(Json)` and replaces the connection.
    fn a_number_for_val_is_a_protocol_error_that_replaces_the_connection(engine: Engine) {
        with_paused_clock(move || async move {
            let json = |e: &CloseReason| matches!(protocol(e), Some(CodecError::Json(_)));
            costs_its_connection(engine, Mode::WrongType(Wrong::ValNumber), 3, json).await;
        })
    }
}

per_engine! {
    /// `"Ts":{}` fails the calls with `Protocol(Json)` and replaces the connection.
    fn an_object_for_ts_is_a_protocol_error_that_replaces_the_connection(engine: Engine) {
        with_paused_clock(move || async move {
            let json = |e: &CloseReason| matches!(protocol(e), Some(CodecError::Json(_)));
            costs_its_connection(engine, Mode::WrongType(Wrong::TsObject), 3, json).await;
        })
    }
}
