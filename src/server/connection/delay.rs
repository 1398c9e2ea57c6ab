//! [`Delays`]: how long a connection's requests waited for their answers,
//! for the server's delay that jsonmux clients balance by.

use tokio::time::Instant;

use crate::server::stats::StatsHandle;

/// The delays of the answers of one write (from reading a request to
/// writing its answer), folded into the server's delay when the write goes
/// out: one clock read per write, and one update of the shared value.
#[derive(Debug, Default)]
pub(super) struct Delays {
    /// This write's time, once an answer needed it.
    now: Option<Instant>,
    /// The delays of this write's answers, in microseconds, summed.
    sum_us: u64,
    answers: u64,
}

impl Delays {
    /// An answer to a request read at `read_at` goes in this write; returns
    /// the server's delay for the answer to carry, in microseconds.
    #[inline]
    pub(super) fn answered(&mut self, read_at: Instant, stats: &StatsHandle) -> u64 {
        let now = *self.now.get_or_insert_with(Instant::now);
        let waited = now.saturating_duration_since(read_at).as_micros();
        self.sum_us = (self.sum_us).saturating_add(u64::try_from(waited).unwrap_or(u64::MAX));
        self.answers += 1;
        stats.delay_us()
    }

    /// The write went out: its answers' mean delay counts in the server's.
    #[inline]
    pub(super) fn written(&mut self, stats: &StatsHandle) {
        if let Some(mean) = self.sum_us.checked_div(self.answers) {
            stats.delayed(mean);
            (self.sum_us, self.answers) = (0, 0);
        }
        self.now = None;
    }
}
