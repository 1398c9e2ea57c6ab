//! The fields of the jsonmux extension: what a jsonmux client adds to its
//! requests (their number, their deadline) and the cancel frame it sends
//! a jsonmux server, as WIRE.md specifies them.
//!
//! ```text
//! request   {"Uid":"pixel-1","Val":"pixelpig!","Sq":7,"Dl":4990}    Sq: the request's number on its
//! answer    {"Uid":"pixel-1","Val":"…","Ts":"…","Sq":7}             connection; Dl: ms left to its deadline
//! cancel    {"Uid":"pixel-1","Sq":7,"Cancel":true}                  only to a server that answered with Sq
//! ```

use std::time::Duration;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::Message;

/// What the extension adds to a request, as a server read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequestExt {
    /// The client's number for the request, unique on its connection:
    /// its answer carries it back, and a cancel names it.
    pub(crate) seq: Option<u64>,
    /// Milliseconds left to the caller's deadline when it was written.
    pub(crate) budget_ms: Option<u64>,
    /// The frame cancels the request numbered `seq` instead of being one.
    pub(crate) cancel: bool,
}

/// A frame a jsonmux client writes.
#[derive(Debug)]
pub(crate) enum ClientFrame<'a> {
    /// A request; with the extension, its number and the milliseconds left
    /// to its deadline.
    Request {
        msg: &'a Message,
        seq: Option<u64>,
        budget_ms: Option<u64>,
    },
    /// The cancel of the request numbered `seq` (the extension's only
    /// frame of its own).
    Cancel { uid: &'a str, seq: u64 },
}

impl ClientFrame<'_> {
    /// A budget in whole milliseconds, rounded up: a deadline that has not
    /// passed never reads as spent.
    pub(crate) fn budget_ms(left: Duration) -> u64 {
        u64::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
    }
}

impl Serialize for ClientFrame<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ClientFrame::Request {
                msg,
                seq,
                budget_ms,
            } => {
                let len = 2 + usize::from(seq.is_some()) + usize::from(budget_ms.is_some());
                let mut map = s.serialize_map(Some(len))?;
                map.serialize_entry("Uid", &msg.uid)?;
                map.serialize_entry("Val", &msg.val)?;
                if let Some(seq) = seq {
                    map.serialize_entry("Sq", seq)?;
                }
                if let Some(ms) = budget_ms {
                    map.serialize_entry("Dl", ms)?;
                }
                map.end()
            }
            ClientFrame::Cancel { uid, seq } => {
                let mut map = s.serialize_map(Some(3))?;
                map.serialize_entry("Uid", uid)?;
                map.serialize_entry("Sq", seq)?;
                map.serialize_entry("Cancel", &true)?;
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(frame: &ClientFrame<'_>) -> String {
        serde_json::to_string(frame).unwrap()
    }

    #[test]
    fn a_plain_request_is_what_the_go_peers_send() {
        let msg = Message::new("pixel-1", "pixelpig!");
        let plain = ClientFrame::Request {
            msg: &msg,
            seq: None,
            budget_ms: None,
        };
        assert_eq!(json(&plain), r#"{"Uid":"pixel-1","Val":"pixelpig!"}"#);
    }

    #[test]
    fn the_extension_adds_the_number_and_the_budget_and_cancels_by_number() {
        let msg = Message::new("pixel-1", "pixelpig!");
        let ext = ClientFrame::Request {
            msg: &msg,
            seq: Some(7),
            budget_ms: Some(4990),
        };
        assert_eq!(
            json(&ext),
            r#"{"Uid":"pixel-1","Val":"pixelpig!","Sq":7,"Dl":4990}"#
        );
        let cancel = ClientFrame::Cancel {
            uid: "pixel-1",
            seq: 7,
        };
        assert_eq!(json(&cancel), r#"{"Uid":"pixel-1","Sq":7,"Cancel":true}"#);
    }

    #[test]
    fn a_budget_rounds_up_to_the_millisecond() {
        assert_eq!(ClientFrame::budget_ms(Duration::from_micros(1)), 1);
        assert_eq!(ClientFrame::budget_ms(Duration::from_millis(5)), 5);
        assert_eq!(ClientFrame::budget_ms(Duration::ZERO), 0);
    }
}
