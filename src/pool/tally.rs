//! [`Tally`]: the call counts of an endpoint's connections, past and present.

use std::sync::Arc;

use crate::connection::{CallCounts, CallStats};

/// Sums the counters of every connection an endpoint has had.
///
/// A connection's counters stay listed while anything can still count in
/// them (the connection, or a call on it, is alive: the `Arc` is shared);
/// once only the tally holds them, they are added to `done` and dropped,
/// so the list is as long as the connections alive, not all there were.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    done: CallCounts,
    live: Vec<Arc<CallStats>>,
}

impl Tally {
    /// Counts a new connection's calls from now on.
    pub(crate) fn add(&mut self, stats: Arc<CallStats>) {
        self.fold_finished();
        self.live.push(stats);
    }

    /// Every call counted so far.
    pub(crate) fn counts(&mut self) -> CallCounts {
        self.fold_finished();
        self.done + self.live.iter().map(|s| s.snapshot()).sum()
    }

    fn fold_finished(&mut self) {
        let done = &mut self.done;
        self.live.retain(|stats| {
            let finished = Arc::strong_count(stats) == 1;
            if finished {
                *done += stats.snapshot();
            }
            !finished
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_connections_counts_are_kept_and_its_entry_dropped() {
        let mut tally = Tally::default();
        let first = Arc::new(CallStats::default());
        tally.add(first.clone());
        first.call();
        first.call();
        drop(first);
        let second = Arc::new(CallStats::default());
        tally.add(second.clone());
        second.call();
        assert_eq!(tally.live.len(), 1, "the finished one is folded");
        assert_eq!(tally.counts().calls, 3);
        second.call();
        assert_eq!(tally.counts().calls, 4, "the live one still counts");
    }
}
