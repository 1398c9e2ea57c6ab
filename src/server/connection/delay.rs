//! [`Delays`]: how long a connection's requests waited for their answers,
//! for the server's delay that jsonmux clients balance by; [`clock_us`]:
//! the clock those times are read on.

use std::sync::OnceLock;

use tokio::time::Instant;

use crate::server::stats::StatsHandle;

/// `at` in microseconds since the server's clock started, on 32 bits:
/// it wraps every 71 minutes, and the difference of two such times is
/// right (with wrapping arithmetic) for any delay shorter than that. Small
/// enough to travel on an answer at no cost.
#[inline]
pub(super) fn clock_us(at: Instant) -> u32 {
    static START: OnceLock<Instant> = OnceLock::new();
    micros_since(*START.get_or_init(Instant::now), at)
}

/// `at` in microseconds since `start`, on 32 bits (see [`clock_us`]).
#[inline]
fn micros_since(start: Instant, at: Instant) -> u32 {
    // Before or after the start alike (rounded down either way): only
    // differences count.
    match at.checked_duration_since(start) {
        Some(after) => after.as_micros() as u32,
        None => 0u32.wrapping_sub((start - at).as_nanos().div_ceil(1_000) as u32),
    }
}

/// The delays of the answers of one write (from reading a request to
/// writing its answer), folded into the server's delay when the write goes
/// out: one clock read per write, and one update of the shared value.
#[derive(Debug, Default)]
pub(super) struct Delays {
    /// This write's time on [`clock_us`], once an answer needed it.
    now_us: Option<u32>,
    /// The delays of this write's answers, in microseconds, summed.
    sum_us: u64,
    answers: u64,
    /// The server's delay as this write's answers carry it, in decimal.
    ld: [u8; 20],
    ld_len: u8,
}

impl Delays {
    /// An answer to a request read at `read_us` (on [`clock_us`]) goes in
    /// this write; returns the server's delay for the answer to carry, in
    /// microseconds, in decimal (written out once per write).
    #[inline]
    pub(super) fn answered(&mut self, read_us: u32, stats: &StatsHandle) -> &[u8] {
        let now_us = match self.now_us {
            Some(now_us) => now_us,
            None => {
                let mut text = itoa::Buffer::new();
                let text = text.format(stats.delay_us()).as_bytes();
                self.ld[..text.len()].copy_from_slice(text);
                self.ld_len = text.len() as u8;
                *self.now_us.insert(clock_us(Instant::now()))
            }
        };
        self.sum_us += u64::from(now_us.wrapping_sub(read_us));
        self.answers += 1;
        &self.ld[..usize::from(self.ld_len)]
    }

    /// The write went out: its answers' mean delay counts in the server's.
    #[inline]
    pub(super) fn written(&mut self, stats: &StatsHandle) {
        if let Some(mean) = self.sum_us.checked_div(self.answers) {
            stats.delayed(mean);
            (self.sum_us, self.answers) = (0, 0);
        }
        self.now_us = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn delays_are_read_across_the_start_and_the_wrap() {
        let start = Instant::now() + Duration::from_secs(1);
        // Read before the clock's start, written after it.
        let read = micros_since(start, start - Duration::from_micros(700));
        let written = micros_since(start, start + Duration::from_micros(800));
        assert_eq!(written.wrapping_sub(read), 1_500);
        // Past the 32-bit wrap (71 minutes), a delay still reads right.
        let wrap = Duration::from_micros(u64::from(u32::MAX));
        let read = micros_since(start, start + wrap - Duration::from_micros(200));
        let written = micros_since(start, start + wrap + Duration::from_micros(300));
        assert_eq!(written.wrapping_sub(read), 500);
    }
}
