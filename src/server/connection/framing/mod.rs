//! [`Framing`]: the framed socket under one connection, as its driver sees it.
//!
//! * `state`: [`Framing`] and its fields: the framed stream, the
//!   connection's clocks and the books of its requests;
//! * `read`: the next request ([`Read`]), and what happens when reading
//!   runs dry;
//! * `write`: the answers buffered, then written out in one write;
//! * `clock`: what the connection waits for, until when, and the buffers
//!   an idle connection gives back;
//! * `end`: the server's shutdown as the connection lives it, and its last
//!   words.

mod clock;
mod end;
mod read;
mod state;
mod write;

pub(crate) use read::Read;
pub(crate) use state::Framing;
