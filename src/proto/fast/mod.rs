//! Reading a frame in its common shape without serde: an object whose
//! keys are the messages' own, written plainly (no escapes), and whose
//! values are plain strings, `null`, whole numbers or booleans where the
//! field takes them. That is every frame the Go peers and jsonmux write
//! for ordinary text; anything else (an escape, an unknown key, a value of
//! another kind, a frame cut short) is left to serde, which reads every
//! frame the same way, only more slowly. So the two cannot disagree on a
//! frame this reads: it either reads it as serde would, or says nothing.
//!
//! The frames as jsonmux and the Go peers write them (their keys in order
//! and in their case, no space) are read first by matching the bytes the
//! writers put between the values; any other frame in the common shape
//! key by key.

mod cursor;
mod general;
mod written;

pub(in crate::proto) use general::read;
pub(in crate::proto) use written::{written_answer, written_request};

#[cfg(test)]
mod tests;
