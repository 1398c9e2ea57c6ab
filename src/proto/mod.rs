//! The protocol's two messages: [`Message`] (request) and [`Resp`] (response).
//!
//! Writing uses the Go peers' exact key names (`Uid`, `Val`, `Ts`). Reading
//! follows Go's `encoding/json`: keys match case-insensitively (`uid`, `UID`),
//! unknown keys are ignored, `null` leaves a field empty, and a key given
//! twice keeps its last value.
//!
//! ```text
//! request   {"Uid":"pixel-1","Val":"pixelpig!"}
//! response  {"Uid":"pixel-1","Val":"server: hello, pixelpig!","Ts":"2026-11-25T08:01:08.123456789Z"}
//! error     {"Uid":"pixel-1","Val":"","Ts":"…","Error":"no such pig","Code":"not_found"}
//! ```
//!
//! `Error` (a message for people) and `Code` (a stable kind for programs,
//! a [`Code`](crate::Code)) are jsonmux's additions to the answers. Both
//! are omitted when empty, and the Go client ignores them (unknown keys are
//! skipped). Between two jsonmux peers, a few more fields carry the
//! extension (`ext.rs`: a request's sequence number and deadline, a
//! cancellation); a peer that does not speak it never sees them. WIRE.md
//! specifies the whole protocol.

mod ext;
mod fast;
mod message;
mod plain;
mod read;
mod resp;
pub(crate) mod write;

pub(crate) use ext::budget_ms;
pub use message::Message;
pub use resp::Resp;
pub(crate) use resp::NO_LOAD;
