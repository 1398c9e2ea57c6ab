//! [`GiveBack`]: what a shed request gives back to its caller, and
//! [`Shed`]: the error that carries it to the answer.

use std::fmt;

use crate::Message;

/// A request shed at the cap: what of it its answer gives back, for a
/// caller that sends it again elsewhere (a jsonmux client keeps no copy of
/// its requests; the answer returns the `Val`).
pub(crate) trait GiveBack {
    /// The request to give back, if its caller can use it.
    fn give_back(self) -> Option<Message>;
}

impl GiveBack for Message {
    /// A jsonmux client's request (it has a number) is given back; a Go
    /// client's answer stays as the Go server's would be.
    fn give_back(self) -> Option<Message> {
        self.ext.seq.is_some().then_some(self)
    }
}

/// A request shed without reaching its handler, given back: an
/// `overloaded` error, as tower's `Overloaded`.
#[derive(Debug)]
pub(crate) struct Shed(pub(crate) Message);

impl fmt::Display for Shed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("service overloaded")
    }
}

impl std::error::Error for Shed {}
