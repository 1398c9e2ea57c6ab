//! [`Ages`]: reservations counted by how long they have lived.

/// Reservations (of calls given up on, see
/// [`InFlight`](super::inflight::InFlight)) counted by age, in
/// generations: those made in the current generation, and the older ones.
/// A reservation is tagged with the generation it was made in; a turn
/// starts the next generation and tells how many lived through a whole one.
///
/// Counting by generation keeps every change O(1): no clock read per
/// reservation, no scan to find the oldest.
#[derive(Debug, Default)]
pub(crate) struct Ages {
    generation: u64,
    young: usize,
    old: usize,
}

impl Ages {
    /// The current generation, to tag a new reservation with.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// One more, of the current generation.
    pub(crate) fn add(&mut self) {
        self.young += 1;
    }

    /// One of `generation` is gone.
    pub(crate) fn remove(&mut self, generation: u64) {
        match generation == self.generation {
            true => self.young -= 1,
            false => self.old -= 1,
        }
    }

    /// Starts the next generation; returns how many were already old, that
    /// is, lived through the whole generation that just ended.
    pub(crate) fn turn(&mut self) -> usize {
        let survivors = self.old;
        self.old += self.young;
        self.young = 0;
        self.generation += 1;
        survivors
    }

    /// How many, of every age.
    pub(crate) fn total(&self) -> usize {
        self.young + self.old
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_is_old_after_one_turn_and_counted_at_the_next() {
        let mut ages = Ages::default();
        ages.add();
        let first = ages.generation();
        assert_eq!(ages.turn(), 0);
        ages.add();
        assert_eq!(ages.total(), 2);
        assert_eq!(ages.turn(), 1, "the first lived through a generation");
        ages.remove(first);
        assert_eq!(ages.turn(), 1, "the second, now");
        assert_eq!(ages.total(), 1);
    }

    #[test]
    fn removing_a_young_one_leaves_the_old_count_alone() {
        let mut ages = Ages::default();
        ages.add();
        ages.turn();
        ages.add();
        ages.remove(ages.generation());
        assert_eq!(ages.total(), 1);
        assert_eq!(ages.turn(), 1);
    }
}
