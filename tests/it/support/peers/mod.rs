//! Misbehaving peers: [`Peer::start`] binds 127.0.0.1:0 and serves every
//! connection it accepts as one [`Mode`] says, counting what it sees and
//! writes ([`Seen`]) so a test can wait for it ([`Peer::until`]).
//!
//! The modes, by what they break:
//!
//! * answers that are not the calls' own: [`UnknownUids`], [`GhostThenAnswer`],
//!   [`DuplicateAnswers`], [`Flood`];
//! * bytes no answer is made of: [`Garbage`], [`WrongType`],
//!   [`Unterminated`], [`CloseMidFrame`];
//! * stalls: [`Silent`], [`Drops`], [`Trickle`], [`StopsReading`] (with
//!   [`Peer::small_send_buffer`], so the client feels it at once);
//! * hang-ups and last words: [`AcceptThenClose`], [`ResetAfter`],
//!   [`Dies`], [`LastWord`], [`GoingAway`].
//!
//! `mode.rs` says what each mode writes for a request, `serve.rs` drives
//! one connection, `peer.rs` holds the accept loop and the handle.
//!
//! [`UnknownUids`]: Mode::UnknownUids
//! [`GhostThenAnswer`]: Mode::GhostThenAnswer
//! [`DuplicateAnswers`]: Mode::DuplicateAnswers
//! [`Flood`]: Mode::Flood
//! [`Garbage`]: Mode::Garbage
//! [`WrongType`]: Mode::WrongType
//! [`Unterminated`]: Mode::Unterminated
//! [`CloseMidFrame`]: Mode::CloseMidFrame
//! [`Silent`]: Mode::Silent
//! [`Drops`]: Mode::Drops
//! [`Trickle`]: Mode::Trickle
//! [`StopsReading`]: Mode::StopsReading
//! [`AcceptThenClose`]: Mode::AcceptThenClose
//! [`ResetAfter`]: Mode::ResetAfter
//! [`Dies`]: Mode::Dies
//! [`LastWord`]: Mode::LastWord
//! [`GoingAway`]: Mode::GoingAway

mod mode;
mod peer;
mod serve;

pub(crate) use mode::{HangUp, Mode, Then, Wrong, LAST_WORD};
pub(crate) use peer::{Peer, Seen};
