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

/// What the extension adds to a request, as a server read it (and one
/// thing the client knows of the call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestExt {
    /// The client's number for the request, unique on its connection:
    /// its answer carries it back, and a cancel names it.
    pub(crate) seq: Option<u64>,
    /// Milliseconds left to the caller's deadline when it was written.
    pub(crate) budget_ms: Option<u64>,
    /// The frame cancels the request numbered `seq` instead of being one.
    pub(crate) cancel: bool,
    /// When the server read it (for a jsonmux client's request), in
    /// microseconds on the server's 32-bit clock; `NO_LOAD` if not kept:
    /// its answer's delay counts from then.
    pub(crate) read_us: u32,
    /// On the client: the caller said the request is safe to run twice
    /// (never on the wire; kept here, beside `cancel`, where it costs no
    /// room).
    pub(crate) idempotent: bool,
}

impl Default for RequestExt {
    fn default() -> Self {
        RequestExt {
            seq: None,
            budget_ms: None,
            cancel: false,
            read_us: super::NO_LOAD,
            idempotent: false,
        }
    }
}

/// Milliseconds left, rounded up: a deadline that has not passed never
/// reads as spent.
pub(crate) fn budget_ms(left: Duration) -> u64 {
    u64::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_rounds_up_to_the_millisecond() {
        assert_eq!(budget_ms(Duration::from_micros(1)), 1);
        assert_eq!(budget_ms(Duration::from_millis(5)), 5);
        assert_eq!(budget_ms(Duration::ZERO), 0);
    }
}
