//! [`pick`]: which connection takes the next request.

use crate::connection::latency::cost;

/// What [`pick`] needs to know of a connection in rotation.
pub(crate) trait Candidate {
    /// True if both go to the same endpoint.
    fn same_endpoint(&self, other: &Self) -> bool;
    /// Requests in flight on it.
    fn load(&self) -> usize;
    /// What a call is expected to take on it, in microseconds, if known.
    fn latency_us(&self) -> Option<u64>;
    /// It can take a request: open, and its endpoint still in the pool.
    fn usable(&self) -> bool;
}

/// The usable connections of `conns`.
fn usable<C: Candidate>(conns: &[C]) -> impl Iterator<Item = &C> {
    conns.iter().filter(|c| c.usable())
}

/// The usable connection with the fewest requests in flight (the first
/// of them on a tie).
fn least_loaded<C: Candidate>(conns: &[C]) -> Option<&C> {
    usable(conns).min_by_key(|c| c.load())
}

/// Each usable connection of `conns` with what the next call would cost
/// on it (see `connection::latency::cost`). A connection with no answer
/// yet is expected to be as fast as the fastest known one: new
/// connections are tried, and none takes every call before its first
/// answer.
fn costs<C: Candidate>(conns: &[C]) -> impl Iterator<Item = (u64, &C)> {
    let fastest = usable(conns).filter_map(|c| c.latency_us()).min();
    usable(conns).map(move |c| {
        let latency = c.latency_us().or(fastest).unwrap_or(1);
        (cost(c.load(), latency), c)
    })
}

/// The usable connection where the next call is expected to wait least
/// (the first of them on a tie).
fn cheapest<C: Candidate>(conns: &[C]) -> Option<&C> {
    cheapest_of(conns, |_| true)
}

/// What the next call is expected to cost on the [`cheapest`] usable
/// connection, if there is one.
pub(crate) fn lowest_cost<C: Candidate>(conns: &[C]) -> Option<u64> {
    costs(conns).map(|(cost, _)| cost).min()
}

/// The usable connection where a call is expected to wait least, among
/// those `allowed`: where a call goes again, away from where it was refused.
pub(crate) fn cheapest_of<C: Candidate>(conns: &[C], allowed: impl Fn(&C) -> bool) -> Option<&C> {
    costs(conns)
        .filter(|(_, c)| allowed(c))
        .min_by_key(|&(cost, _)| cost)
        .map(|(_, c)| c)
}

/// The connection for the next request, or `None` if none is usable.
///
/// * `pack_up_to: None`: the usable connection where the call is
///   expected to wait least ([`cheapest`]); with `probe`, any usable one
///   (at random), so that a connection avoided for being slow is tried
///   now and then and taken again once it has recovered.
/// * `pack_up_to: Some(n)`: on the endpoint with the fewest requests in
///   flight, its first usable connection with fewer than `n`, or its
///   least-loaded one once all have `n`. An endpoint's connections must be
///   side by side in `conns`.
///
/// Loads are read as they are, without a lock: callers picking at the same
/// moment may both take a connection just under `n`, so `n` is a soft limit.
#[inline]
pub(crate) fn pick<C: Candidate>(
    conns: &[C],
    pack_up_to: Option<usize>,
    probe: bool,
) -> Option<&C> {
    let Some(n) = pack_up_to else {
        if probe {
            let n = usable(conns).count();
            return (n > 0)
                .then(|| usable(conns).nth(fastrand::usize(..n)))
                .flatten();
        }
        return cheapest(conns);
    };
    conns
        .chunk_by(|a, b| a.same_endpoint(b))
        .filter_map(|endpoint| {
            let load: usize = usable(endpoint).map(|c| c.load()).sum();
            let under = usable(endpoint).find(|c| c.load() < n);
            Some((load, under.or_else(|| least_loaded(endpoint))?))
        })
        .min_by_key(|&(load, _)| load)
        .map(|(_, c)| c)
}

/// The usable connections of `conns` other than `tried`, cheapest first
/// (in their order on a tie): where a call goes when its `Uid` is taken on
/// the one [`pick`] chose.
pub(crate) fn others_by_cost<'a, C: Candidate>(conns: &'a [C], tried: &C) -> Vec<&'a C> {
    let mut others: Vec<(u64, &C)> = costs(conns)
        .filter(|(_, c)| !std::ptr::eq(*c, tried))
        .collect();
    others.sort_by_key(|&(cost, _)| cost);
    others.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection: (endpoint, load, usable), named by its index.
    #[derive(Debug, PartialEq)]
    struct C(char, usize, bool);

    impl Candidate for C {
        fn same_endpoint(&self, other: &Self) -> bool {
            self.0 == other.0
        }
        fn load(&self) -> usize {
            self.1
        }
        fn usable(&self) -> bool {
            self.2
        }
        fn latency_us(&self) -> Option<u64> {
            None
        }
    }

    fn index(conns: &[C], pack_up_to: Option<usize>) -> Option<usize> {
        let picked = pick(conns, pack_up_to, false)?;
        conns.iter().position(|c| std::ptr::eq(c, picked))
    }

    /// A connection of its own endpoint: (load, latency in µs, if known).
    #[derive(Debug)]
    struct Timed(usize, Option<u64>);

    impl Candidate for Timed {
        fn same_endpoint(&self, other: &Self) -> bool {
            std::ptr::eq(self, other)
        }
        fn load(&self) -> usize {
            self.0
        }
        fn usable(&self) -> bool {
            true
        }
        fn latency_us(&self) -> Option<u64> {
            self.1
        }
    }

    fn timed(conns: &[Timed], probe: bool) -> usize {
        let picked = pick(conns, None, probe).unwrap();
        conns.iter().position(|c| std::ptr::eq(c, picked)).unwrap()
    }

    #[test]
    fn a_slow_server_is_picked_only_once_the_fast_ones_are_far_busier() {
        let conns = [Timed(0, Some(300)), Timed(5, Some(20)), Timed(6, Some(20))];
        assert_eq!(timed(&conns, false), 1, "6 × 20 µs beats 1 × 300 µs");
        let conns = [
            Timed(0, Some(300)),
            Timed(15, Some(20)),
            Timed(16, Some(20)),
        ];
        assert_eq!(timed(&conns, false), 0, "16 × 20 µs does not");
    }

    #[test]
    fn a_connection_with_no_answer_yet_counts_as_fast_as_the_fastest() {
        let conns = [Timed(2, Some(20)), Timed(2, None), Timed(0, Some(500))];
        assert_eq!(
            timed(&conns, false),
            0,
            "the new one ties at 3 × 20: the first wins"
        );
        let conns = [Timed(3, Some(20)), Timed(2, None)];
        assert_eq!(timed(&conns, false), 1);
    }

    #[test]
    fn probes_reach_every_usable_connection() {
        let conns = [
            Timed(0, Some(20)),
            Timed(9, Some(9_000)),
            Timed(9, Some(9_000)),
        ];
        let mut seen = [false; 3];
        for _ in 0..200 {
            seen[timed(&conns, true)] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn the_others_come_least_loaded_first_without_the_tried_or_unusable_ones() {
        let conns = [
            C('a', 1, true),
            C('a', 3, true),
            C('b', 0, false),
            C('b', 2, true),
            C('b', 1, true),
        ];
        let order: Vec<usize> = others_by_cost(&conns, &conns[0])
            .into_iter()
            .map(|picked| conns.iter().position(|c| std::ptr::eq(c, picked)).unwrap())
            .collect();
        assert_eq!(order, [4, 3, 1]);
    }

    #[test]
    fn nothing_usable_picks_nothing() {
        assert_eq!(index(&[], None), None);
        assert_eq!(index(&[C('a', 0, false)], None), None);
        assert_eq!(index(&[C('a', 0, false)], Some(4)), None);
    }

    #[test]
    fn by_default_the_least_loaded_usable_connection_wins_the_first_on_a_tie() {
        let conns = [
            C('a', 5, true),
            C('a', 0, false),
            C('b', 2, true),
            C('b', 2, true),
        ];
        assert_eq!(index(&conns, None), Some(2));
    }

    #[test]
    fn packing_fills_the_first_connection_under_the_limit() {
        let conns = [C('a', 4, true), C('a', 3, true), C('a', 0, true)];
        assert_eq!(
            index(&conns, Some(4)),
            Some(1),
            "the first under 4, not the idle one"
        );
    }

    #[test]
    fn packing_falls_back_to_the_least_loaded_once_all_are_full() {
        let conns = [C('a', 6, true), C('a', 4, true), C('a', 5, true)];
        assert_eq!(index(&conns, Some(4)), Some(1));
    }

    #[test]
    fn packing_goes_to_the_endpoint_with_the_least_load_and_skips_unusable_ones() {
        let conns = [
            C('a', 1, true),
            C('a', 1, true),
            C('b', 9, false),
            C('b', 1, true),
            C('b', 0, true),
        ];
        assert_eq!(
            index(&conns, Some(4)),
            Some(3),
            "b's usable load is 1, a's is 2"
        );
    }
}
