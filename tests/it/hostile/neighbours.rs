//! Every mode beside a good server in one pool: whatever the hostile peer
//! does to its own connection, the calls the pool sends to the good one
//! are all answered, on the connection it had from the start.

use jsonmux::ServerBuilder;

use super::*;
use crate::support::peers::{Mode, Peer, Then, Wrong};
use crate::support::server::TestServer;
use crate::support::time::with_paused_clock;

/// A pool over a peer in `mode` and a good server: rounds of calls, each
/// of which ends by its deadline in its answer or a typed error; every
/// call sent to the good server is answered, and its connection is never
/// replaced.
fn beside_a_good_server(engine: Engine, mode: Mode) {
    with_paused_clock(move || async move {
        let hostile = Peer::start(mode).await;
        let good = TestServer::start_with(ServerBuilder::new()).await;
        let client = connect(builder(engine), &[hostile.addr, good.addr]).await;
        let up = || endpoint(&client, good.addr).connections == 1;
        eventually("the good server's connection", up).await;

        let mut outcomes = Vec::new();
        for round in 0..4 {
            outcomes.extend(calls(&client, &format!("r{round}-"), 8).await);
        }
        for o in &outcomes {
            let typed = matches!(o.result, Err(Error::Timeout(_) | Error::Closed(_)));
            assert!(o.is_answered() || typed, "{o:?}");
        }
        counted_once(&client, &outcomes);
        let status = endpoint(&client, good.addr);
        assert_eq!(
            (status.connections, status.reconnects),
            (1, 0),
            "{status:?}"
        );
        let to_good = status.calls;
        assert!(
            to_good.calls > 0,
            "the pool used the good server: {to_good:?}"
        );
        assert_eq!(to_good.errors() + to_good.abandoned, 0, "{to_good:?}");
        let answered = outcomes.iter().filter(|o| o.is_answered()).count();
        assert!(
            answered as u64 >= to_good.calls,
            "{answered} answered, {to_good:?}"
        );
        good.stop().await;
    })
}

/// One test per mode, each a line.
macro_rules! beside_a_good_server {
    ($($(#[$doc:meta])* $name:ident: $mode:expr;)*) => {$(
        per_engine! {
            $(#[$doc])*
            fn $name(engine: Engine) {
                beside_a_good_server(engine, $mode)
            }
        }
    )*};
}

beside_a_good_server! {
    /// Beside a peer answering unknown `Uid`s, the good server's calls are all answered.
    unknown_uids: Mode::UnknownUids;
    /// Beside a peer answering twice, the good server's calls are all answered.
    duplicate_answers: Mode::DuplicateAnswers;
    /// Beside a peer sending a 64 MiB answer that never ends, the good server's calls are all answered.
    unterminated_64_mib: Mode::Unterminated(64 << 20);
    /// Beside a peer sending garbage, the good server's calls are all answered.
    garbage: Mode::Garbage;
    /// Beside a silent peer, the good server's calls are all answered.
    silence: Mode::Silent;
    /// Beside a peer closing mid-frame, the good server's calls are all answered.
    close_mid_frame: Mode::CloseMidFrame;
    /// Beside a peer trickling one byte per 50 ms, the good server's calls are all answered.
    one_byte_per_50ms: Mode::Trickle(Duration::from_millis(50));
    /// Beside a peer resetting after two answers, the good server's calls are all answered.
    reset_after_two_answers: Mode::ResetAfter(2);
    /// Beside a peer flooding unsolicited answers, the good server's calls are all answered.
    unsolicited_flood: Mode::Flood;
    /// Beside a peer answering `"Val":123`, the good server's calls are all answered.
    val_a_number: Mode::WrongType(Wrong::ValNumber);
    /// Beside a peer answering `"Uid":null`, the good server's calls are all answered.
    uid_null: Mode::WrongType(Wrong::UidNull);
    /// Beside a peer answering `"Ts":{}`, the good server's calls are all answered.
    ts_an_object: Mode::WrongType(Wrong::TsObject);
    /// Beside a peer that accepts then closes, the good server's calls are all answered.
    accept_then_close: Mode::AcceptThenClose;
    /// Beside a peer whose last word is left on an open connection, the good server's calls are all answered.
    last_word_left_open: Mode::LastWord(Then::StayOpen);
    /// Beside a peer going away on every call, the good server's calls are all answered.
    going_away_on_every_call: Mode::GoingAway;
    /// Beside a peer that stops reading, the good server's calls are all answered.
    stops_reading: Mode::StopsReading;
}
