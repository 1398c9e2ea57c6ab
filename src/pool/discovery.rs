//! [`discover`]: a tower `Discover` stream of addresses, applied to a pool's
//! endpoints for as long as the pool lives.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;

use tower::discover::{Change, Discover};
use tower::BoxError;

use super::backoff::Backoff;
use super::set::Set;
use crate::Addr;

/// Applies every change `discovery` yields to the pool's endpoints until
/// the pool is dropped or the stream ends:
///
/// * `Insert(key, addr)` adds `addr` (nothing changes if it is in the pool
///   already); an `Insert` for a key that had another address replaces it.
/// * `Remove(key)` retires the key's address: no new calls go to it, its
///   connections close once their calls are answered.
/// * An error is logged, the endpoints stay as they are, and the stream is
///   polled again after a delay that grows with the pool's backoff
///   (reset by the next change).
/// * The end of the stream ends discovery: the endpoints stay as they are.
pub(crate) async fn discover<D>(set: Arc<Set>, discovery: D)
where
    D: Discover,
    D::Service: Into<Addr>,
    D::Error: Into<BoxError>,
{
    let mut discovery = pin!(discovery);
    let mut discovered = Discovered::default();
    let mut backoff = Backoff::new(set.opts.backoff_min, set.opts.backoff_max);
    loop {
        let next = tokio::select! {
            _ = set.token.cancelled() => return,
            next = poll_fn(|cx| discovery.as_mut().poll_discover(cx)) => next,
        };
        match next {
            Some(Ok(change)) => {
                backoff.reset();
                discovered.apply(&set, change);
            }
            Some(Err(e)) => {
                let delay = backoff.next_delay();
                let e: BoxError = e.into();
                tracing::warn!(error = %e, retry_in = ?delay, "endpoint discovery failed; endpoints unchanged");
                tokio::select! {
                    _ = set.token.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
            None => {
                tracing::debug!("endpoint discovery ended; endpoints unchanged");
                return;
            }
        }
    }
}

/// The address each key of one discovery stream stands for.
///
/// Keys need only `Eq` (as tower's `Discover` asks), so they are looked up
/// one by one: discovery sets are small and change rarely.
#[derive(Debug)]
struct Discovered<K> {
    by_key: Vec<(K, Addr)>,
}

impl<K> Default for Discovered<K> {
    fn default() -> Self {
        Discovered { by_key: Vec::new() }
    }
}

impl<K: Eq> Discovered<K> {
    fn apply(&mut self, set: &Set, change: Change<K, impl Into<Addr>>) {
        match change {
            Change::Insert(key, addr) => {
                let addr = addr.into();
                // The new address first, so a replaced endpoint never
                // leaves a moment with neither.
                set.add_endpoint(addr.clone());
                if let Some(old) = self.insert(key, addr) {
                    set.remove_endpoint(&old);
                }
            }
            Change::Remove(key) => {
                if let Some(old) = self.remove(&key) {
                    set.remove_endpoint(&old);
                }
            }
        }
    }

    /// Maps `key` to `addr`; returns the address it replaces, if no other
    /// key still stands for it (it is then to be removed).
    fn insert(&mut self, key: K, addr: Addr) -> Option<Addr> {
        let old = match self.by_key.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => std::mem::replace(slot, addr),
            None => {
                self.by_key.push((key, addr));
                return None;
            }
        };
        self.unused(old)
    }

    /// Forgets `key`; returns its address, if no other key stands for it.
    fn remove(&mut self, key: &K) -> Option<Addr> {
        let i = self.by_key.iter().position(|(k, _)| k == key)?;
        let (_, old) = self.by_key.swap_remove(i);
        self.unused(old)
    }

    fn unused(&self, addr: Addr) -> Option<Addr> {
        (!self.by_key.iter().any(|(_, a)| *a == addr)).then_some(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Addr {
        Addr::from(s)
    }

    #[test]
    fn a_removed_key_gives_back_its_address() {
        let mut d = Discovered::default();
        assert_eq!(d.insert(1, a("h:1")), None);
        assert_eq!(d.insert(2, a("h:2")), None);
        assert_eq!(d.remove(&1), Some(a("h:1")));
        assert_eq!(d.remove(&1), None, "already gone");
    }

    #[test]
    fn inserting_a_known_key_replaces_its_address() {
        let mut d = Discovered::default();
        d.insert(1, a("h:1"));
        assert_eq!(d.insert(1, a("h:9")), Some(a("h:1")));
        assert_eq!(d.insert(1, a("h:9")), None, "the same address again");
        assert_eq!(d.remove(&1), Some(a("h:9")));
    }

    #[test]
    fn an_address_stays_while_another_key_stands_for_it() {
        let mut d = Discovered::default();
        d.insert("x", a("h:1"));
        d.insert("y", a("h:1"));
        assert_eq!(d.remove(&"x"), None, "y still stands for h:1");
        assert_eq!(d.insert("y", a("h:2")), Some(a("h:1")));
    }
}
