//! [`UidMode`]: whose `Uid` a connection puts on the wire, and the
//! connection-unique tags of [`UidMode::Tagged`].

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Message;

/// Whose `Uid` goes on the wire: the caller's, or a tag of the connection's.
///
/// The wire can carry one request per `Uid` at a time on a connection, and
/// a `Uid` whose caller gave up stays taken until its late answer arrives.
/// With [`UidMode::Caller`] (the default) that is the caller's to keep:
/// a pool sends a call to a connection where its `Uid` is free, and fails
/// it with [`Error::DuplicateUid`](crate::Error::DuplicateUid) when there
/// is none. With [`UidMode::Tagged`] the connection tags each request
/// itself, and any `Uid` can be in flight any number of times.
///
/// # Examples
///
/// ```
/// use jsonmux::client::UidMode;
///
/// let b = jsonmux::ClientBuilder::new().uid_mode(UidMode::Tagged);
/// assert_eq!(UidMode::default(), UidMode::Caller);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UidMode {
    /// The caller's `Uid` goes on the wire as it is, and the server sees
    /// it (in its handler and its logs). At most one call per `Uid` is in
    /// flight on a connection.
    #[default]
    Caller,
    /// The connection puts its own tag on the wire instead of the caller's
    /// `Uid` (a decimal number, never reused on that connection) and gives
    /// the caller's `Uid` back in the answer. Calls with the same `Uid`
    /// can then be in flight at once, and a retry never waits for a late
    /// answer. For proxies serving many front ends over one client, and
    /// callers that cannot keep their `Uid`s unique.
    ///
    /// The server sees the tag, not the caller's `Uid`: a server that
    /// reads meaning into the `Uid` (logs, idempotency keys) must get it
    /// in the `Val` instead.
    Tagged,
}

/// The tags of one [`UidMode::Tagged`] connection: a counter that never
/// repeats (a `u64` does not wrap in a connection's life), so a tag is
/// unique on its connection, late answers included.
///
/// Any engine applies the mode the same way: [`Tags::tag`] before the
/// request is taken in flight under its wire `Uid`; the call's future
/// keeps what `tag` returned and puts it back as the answer's `Uid`.
#[derive(Debug, Default)]
pub(crate) struct Tags {
    next: AtomicU64,
}

impl Tags {
    /// Puts a fresh tag on `msg`; returns the caller's `Uid` it replaced.
    pub(crate) fn tag(&self, msg: &mut Message) -> String {
        let tag = self.next.fetch_add(1, Ordering::Relaxed);
        std::mem::replace(&mut msg.uid, tag.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_replace_the_callers_uid_and_never_repeat() {
        let tags = Tags::default();
        let (mut a, mut b) = (Message::new("same", "1"), Message::new("same", "2"));
        assert_eq!(tags.tag(&mut a), "same");
        assert_eq!(tags.tag(&mut b), "same");
        assert_ne!(a.uid, b.uid);
        assert!(a.uid != "same" && b.uid != "same", "{a:?} {b:?}");
    }
}
