//! [`DnsDiscover`]: a pool's endpoints from a host name, resolved again on
//! an interval; [`SystemResolver`], the resolver it uses by default.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::Sleep;
use tower::discover::Change;
use tower::{BoxError, Service};

use crate::Error;

/// Endpoints from a host name, resolved again every `every`: each address
/// the name gains is a `Change::Insert`, each it loses a `Change::Remove`
/// (keyed by the address). This is how a Kubernetes headless Service or a
/// Consul DNS name is followed: one endpoint per pod or instance.
///
/// A tower [`Discover`](tower::discover::Discover) stream of
/// `Change<SocketAddr, SocketAddr>`; give it to
/// [`ClientBuilder::discover`](crate::ClientBuilder::discover) or
/// [`Endpoints::discover`](super::Endpoints::discover).
///
/// * The name is resolved at the first poll, then `every` after each
///   answer.
/// * A successful answer is taken as it is, an empty one included (every
///   endpoint is then removed, and calls wait for one to come back or
///   fail fast).
/// * A failed resolution (the resolver's error, a name that no longer
///   resolves) yields an `Err` and changes nothing: a DNS outage does not
///   empty the pool. The name is resolved again `every` later.
/// * The stream never ends.
///
/// The resolver is any `tower::Service<String>` answering the
/// `"host:port"` given here with socket addresses: [`SystemResolver`] by
/// default, your own with [`DnsDiscover::with_resolver`] (tests,
/// a DNS client library, a service registry).
///
/// # Examples
///
/// With a resolver of your own (here a fixed answer):
///
/// ```
/// use std::time::Duration;
/// use jsonmux::pool::DnsDiscover;
/// use jsonmux::{ClientBuilder, Message};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr().unwrap();
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let resolver = tower::service_fn(move |_name: String| async move {
///     Ok::<_, std::io::Error>(vec![addr])
/// });
/// let pigs = DnsDiscover::with_resolver("pigs.example:3000", Duration::from_secs(5), resolver);
/// let client = ClientBuilder::new().discover(pigs)?;
/// let resp = client.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
pub struct DnsDiscover<R = SystemResolver>
where
    R: Service<String>,
{
    /// The `"host:port"` to resolve.
    name: String,
    every: Duration,
    resolver: R,
    /// The addresses of the last successful answer.
    current: BTreeSet<SocketAddr>,
    /// Changes found in the last answer, not yet yielded.
    changes: VecDeque<Change<SocketAddr, SocketAddr>>,
    next: Next<R::Future>,
}

/// What a [`DnsDiscover`] does next.
enum Next<F> {
    /// Ask the resolver (once it is ready).
    Resolve,
    /// Wait for its answer.
    Resolving(Pin<Box<F>>),
    /// Wait until the next resolution is due.
    Wait(Pin<Box<Sleep>>),
}

impl DnsDiscover {
    /// Follows `name` (`"host:port"`) with the [`SystemResolver`],
    /// resolving it again `every` after each answer. Needs no runtime
    /// until it is polled.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let pods = jsonmux::pool::DnsDiscover::new("pigs.default.svc.cluster.local:3000", Duration::from_secs(5));
    /// ```
    ///
    /// # Panics
    ///
    /// If `every` is zero (it would resolve without pause).
    pub fn new(name: impl Into<String>, every: Duration) -> Self {
        DnsDiscover::with_resolver(name, every, SystemResolver)
    }
}

impl<R: Service<String>> DnsDiscover<R> {
    /// Follows `name` with `resolver`, resolving it again `every` after
    /// each answer; see [`DnsDiscover`]'s example.
    ///
    /// # Panics
    ///
    /// If `every` is zero (it would resolve without pause).
    pub fn with_resolver(name: impl Into<String>, every: Duration, resolver: R) -> Self {
        assert!(!every.is_zero(), "DnsDiscover: `every` must be above zero");
        DnsDiscover {
            name: name.into(),
            every,
            resolver,
            current: BTreeSet::new(),
            changes: VecDeque::new(),
            next: Next::Resolve,
        }
    }
}

/// Nothing in a [`DnsDiscover`] is pinned in place: the resolver's future
/// and the timer are boxed.
impl<R: Service<String>> Unpin for DnsDiscover<R> {}

impl<R> Stream for DnsDiscover<R>
where
    R: Service<String>,
    R::Response: IntoIterator<Item = SocketAddr>,
    R::Error: Into<BoxError>,
{
    type Item = Result<Change<SocketAddr, SocketAddr>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            // 1. Hand out what the last answer changed, one by one.
            if let Some(change) = this.changes.pop_front() {
                return Poll::Ready(Some(Ok(change)));
            }
            match &mut this.next {
                // 2. Ask the resolver once it is ready.
                Next::Resolve => {
                    if let Err(e) = ready!(this.resolver.poll_ready(cx)) {
                        this.next = Next::Wait(Box::pin(tokio::time::sleep(this.every)));
                        return Poll::Ready(Some(Err(Error::from(e.into()))));
                    }
                    let answer = this.resolver.call(this.name.clone());
                    this.next = Next::Resolving(Box::pin(answer));
                }
                // 3. Take its answer, and schedule the next one.
                Next::Resolving(answer) => {
                    let answer = ready!(answer.as_mut().poll(cx));
                    this.next = Next::Wait(Box::pin(tokio::time::sleep(this.every)));
                    match answer {
                        Ok(addrs) => {
                            let answer = addrs.into_iter().collect();
                            diff(&mut this.current, answer, &mut this.changes);
                        }
                        Err(e) => return Poll::Ready(Some(Err(Error::from(e.into())))),
                    }
                }
                // 4. Wait until it is due.
                Next::Wait(due) => {
                    ready!(due.as_mut().poll(cx));
                    this.next = Next::Resolve;
                }
            }
        }
    }
}

/// Queues the changes from `current` to `answer`, which becomes current:
/// the new addresses first, so the pool never passes through an empty set
/// when every address changes at once.
fn diff(
    current: &mut BTreeSet<SocketAddr>,
    answer: BTreeSet<SocketAddr>,
    changes: &mut VecDeque<Change<SocketAddr, SocketAddr>>,
) {
    let gained = answer.difference(current).map(|&a| Change::Insert(a, a));
    changes.extend(gained);
    let lost = current.difference(&answer).map(|&a| Change::Remove(a));
    changes.extend(lost);
    *current = answer;
}

impl<R: Service<String>> fmt::Debug for DnsDiscover<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DnsDiscover")
            .field("name", &self.name)
            .field("every", &self.every)
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

/// The system's resolver (`getaddrinfo`, through tokio's `lookup_host`)
/// as a `tower::Service`: what [`DnsDiscover::new`] resolves with.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl Service<String> for SystemResolver {
    type Response = Vec<SocketAddr>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: String) -> Self::Future {
        Box::pin(async move { Ok(tokio::net::lookup_host(name).await?.collect()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(ports: &[u16]) -> BTreeSet<SocketAddr> {
        ports
            .iter()
            .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
            .collect()
    }

    /// The changes as `+port` / `-port`.
    fn diffed(current: &mut BTreeSet<SocketAddr>, answer: &[u16]) -> Vec<String> {
        let mut changes = VecDeque::new();
        diff(current, addrs(answer), &mut changes);
        changes
            .into_iter()
            .map(|c| match c {
                Change::Insert(k, v) => {
                    assert_eq!(k, v);
                    format!("+{}", k.port())
                }
                Change::Remove(k) => format!("-{}", k.port()),
            })
            .collect()
    }

    #[test]
    fn an_answer_yields_its_new_addresses_then_the_lost_ones() {
        let mut current = BTreeSet::new();
        assert_eq!(diffed(&mut current, &[1, 2]), ["+1", "+2"]);
        assert_eq!(diffed(&mut current, &[2, 3]), ["+3", "-1"]);
        assert_eq!(current, addrs(&[2, 3]));
    }

    #[test]
    fn the_same_answer_again_changes_nothing_and_an_empty_one_removes_all() {
        let mut current = BTreeSet::new();
        diffed(&mut current, &[1, 2]);
        assert!(diffed(&mut current, &[2, 1]).is_empty());
        assert_eq!(diffed(&mut current, &[]), ["-1", "-2"]);
    }
}
