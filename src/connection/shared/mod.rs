//! [`Shared`]: what a connection's handles, its task and its watcher share.
//!
//! One type, its rules by concern:
//!
//! * `state`: [`Shared`] and its fields; the one lock over the in-flight
//!   table and the health its changes feed;
//! * `calls`: a call's `Uid` taken, refused, given up on or freed;
//! * `route`: every answer read, for both engines (what is left for
//!   tokio-tower's to hand over: `Routed`);
//! * `drain`: no new call, the end after the last one;
//! * `end`: the cause of the end, the signal that it came, the kill switch;
//! * `check`: the dead-peer check, and the blocked writes it weighs.

mod calls;
mod check;
mod drain;
mod end;
mod route;
mod state;
#[cfg(test)]
mod tests;

// Only tokio-tower's engine is left something to do with an answer.
#[cfg(feature = "tokio-tower")]
pub(crate) use route::Routed;
pub(crate) use state::Shared;
