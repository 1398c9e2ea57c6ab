//! [`CallStats`]: what became of the calls made on one connection, counted
//! as it happens; [`CallCounts`]: a snapshot of them, summed as needed.

use std::fmt;
use std::ops::{Add, AddAssign};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::{Code, Error};

/// How many kinds of error answer there are.
const CODES: usize = Code::ALL.len();

/// Counters a connection keeps of its calls: relaxed atomics of its own,
/// so counting costs one uncontended add per call (and one per failure).
///
/// Kept behind an `Arc` the connection shares with whoever sums them (a
/// pool's endpoint), so the counts of a call that ends after its
/// connection was taken out of rotation still land.
#[derive(Debug, Default)]
pub(crate) struct CallStats {
    calls: AtomicU64,
    abandoned: AtomicU64,
    closed: AtomicU64,
    duplicate_uid: AtomicU64,
    /// Error answers, by [`Code`] (indexed in declaration order).
    answers: [AtomicU64; CODES],
}

impl CallStats {
    /// A call started (whatever becomes of it).
    #[inline]
    pub(crate) fn call(&self) {
        self.calls.fetch_add(1, Relaxed);
    }

    /// Its caller gave up on a call before its answer.
    pub(crate) fn abandoned(&self) {
        self.abandoned.fetch_add(1, Relaxed);
    }

    /// A call failed with `e`.
    pub(crate) fn failed(&self, e: &Error) {
        let counter = match e {
            Error::Overloaded => &self.answers[Code::Overloaded as usize],
            Error::Server { code, .. } => &self.answers[*code as usize],
            Error::DuplicateUid(_) => &self.duplicate_uid,
            // What else a connection's call fails with: it ended.
            _ => &self.closed,
        };
        counter.fetch_add(1, Relaxed);
    }

    /// The counts now.
    pub(crate) fn snapshot(&self) -> CallCounts {
        CallCounts {
            calls: self.calls.load(Relaxed),
            abandoned: self.abandoned.load(Relaxed),
            closed: self.closed.load(Relaxed),
            duplicate_uid: self.duplicate_uid.load(Relaxed),
            answers: std::array::from_fn(|i| self.answers[i].load(Relaxed)),
        }
    }
}

/// What became of the calls made on a connection, an endpoint's
/// connections, or a whole pool: from
/// [`Connection::stats`](crate::Connection::stats),
/// [`EndpointStatus::calls`](crate::pool::EndpointStatus::calls) and
/// [`Endpoints::stats`](crate::pool::Endpoints::stats).
///
/// Every call is counted once in [`calls`](CallCounts::calls) when it
/// starts on a connection, and at most once more by how it failed; calls
/// answered normally are `calls` less the failed, the abandoned and those
/// still waiting. A call that waits for a connection to come up is
/// counted once it has one.
///
/// # Examples
///
/// ```
/// use jsonmux::{Code, Message};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr().unwrap();
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = jsonmux::Client::connect(addr).await?;
/// client.clone().oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// let counts = client.stats().calls;
/// assert_eq!((counts.calls, counts.errors()), (1, 0));
/// assert_eq!(counts.answered_with(Code::Overloaded), 0);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallCounts {
    /// Calls started on a connection.
    pub calls: u64,
    /// Calls given up by their caller before the answer came: past the
    /// client's request timeout (the caller got [`Error::Timeout`]) or
    /// dropped. Not counted in [`errors`](CallCounts::errors).
    pub abandoned: u64,
    /// Calls failed because their connection ended ([`Error::Closed`]).
    pub closed: u64,
    /// Calls refused because their `Uid` was taken ([`Error::DuplicateUid`]).
    pub duplicate_uid: u64,
    answers: [u64; CODES],
}

impl CallCounts {
    /// Calls answered with an error answer of `code` ([`Error::Server`],
    /// or [`Error::Overloaded`] for [`Code::Overloaded`]).
    pub fn answered_with(&self, code: Code) -> u64 {
        self.answers[code as usize]
    }

    /// Calls answered with an error answer, every code.
    pub fn error_answers(&self) -> u64 {
        self.answers.iter().sum()
    }

    /// Calls that failed: error answers, closed and duplicate `Uid`s.
    pub fn errors(&self) -> u64 {
        self.error_answers() + self.closed + self.duplicate_uid
    }

    /// The error answers by code, the codes seen only.
    pub fn error_answers_by_code(&self) -> impl Iterator<Item = (Code, u64)> + '_ {
        Code::ALL
            .iter()
            .zip(self.answers)
            .filter(|(_, n)| *n > 0)
            .map(|(code, n)| (*code, n))
    }
}

/// The counts with their names; error answers by code, the codes seen only.
impl fmt::Debug for CallCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct ByCode<'a>(&'a CallCounts);
        impl fmt::Debug for ByCode<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.error_answers_by_code().map(|(c, n)| (c.as_str(), n)))
                    .finish()
            }
        }
        f.debug_struct("CallCounts")
            .field("calls", &self.calls)
            .field("abandoned", &self.abandoned)
            .field("closed", &self.closed)
            .field("duplicate_uid", &self.duplicate_uid)
            .field("error_answers", &ByCode(self))
            .finish()
    }
}

impl Add for CallCounts {
    type Output = CallCounts;

    fn add(mut self, other: CallCounts) -> CallCounts {
        self += other;
        self
    }
}

impl AddAssign for CallCounts {
    fn add_assign(&mut self, other: CallCounts) {
        self.calls += other.calls;
        self.abandoned += other.abandoned;
        self.closed += other.closed;
        self.duplicate_uid += other.duplicate_uid;
        for (mine, theirs) in self.answers.iter_mut().zip(other.answers) {
            *mine += theirs;
        }
    }
}

impl std::iter::Sum for CallCounts {
    fn sum<I: Iterator<Item = CallCounts>>(iter: I) -> CallCounts {
        iter.fold(CallCounts::default(), Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_is_counted_by_its_kind() {
        let stats = CallStats::default();
        for _ in 0..6 {
            stats.call();
        }
        stats.failed(&Error::Overloaded);
        stats.failed(&Error::Server {
            code: Code::NotFound,
            message: "no pig".into(),
        });
        stats.failed(&Error::DuplicateUid("u".into()));
        stats.failed(&Error::Closed(crate::CloseReason::PeerClosed));
        stats.abandoned();
        let counts = stats.snapshot();
        assert_eq!((counts.calls, counts.abandoned), (6, 1));
        assert_eq!((counts.closed, counts.duplicate_uid), (1, 1));
        assert_eq!(counts.answered_with(Code::Overloaded), 1);
        assert_eq!(counts.answered_with(Code::NotFound), 1);
        assert_eq!((counts.error_answers(), counts.errors()), (2, 4));
        let seen: Vec<_> = counts.error_answers_by_code().collect();
        assert_eq!(seen, [(Code::Overloaded, 1), (Code::NotFound, 1)]);
    }

    #[test]
    fn counts_print_with_their_names_and_error_answers_by_code() {
        let stats = CallStats::default();
        stats.call();
        stats.failed(&Error::Overloaded);
        assert_eq!(
            format!("{:?}", stats.snapshot()),
            "CallCounts { calls: 1, abandoned: 0, closed: 0, duplicate_uid: 0, \
             error_answers: {\"overloaded\": 1} }"
        );
    }

    #[test]
    fn counts_add_up_field_by_field() {
        let stats = CallStats::default();
        stats.call();
        stats.failed(&Error::Overloaded);
        let one = stats.snapshot();
        let two: CallCounts = [one, one].into_iter().sum();
        assert_eq!((two.calls, two.answered_with(Code::Overloaded)), (2, 2));
    }
}
