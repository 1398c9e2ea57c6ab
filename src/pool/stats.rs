//! [`PoolStats`]: a pool's counters, summed over its endpoints.

use super::endpoint::EndpointStatus;
use crate::connection::CallCounts;

/// A snapshot of a pool's counters, summed over the endpoints in it now,
/// from [`Endpoints::stats`](super::Endpoints::stats) or
/// [`Client::stats`](crate::Client::stats);
/// [`Endpoints::endpoints`](super::Endpoints::status) has them per
/// endpoint. (An endpoint removed takes its counts with it.)
///
/// Counting costs each call one relaxed atomic add on its connection's own
/// counters, and each failure one more; reading sums them.
///
/// # Examples
///
/// ```
/// use jsonmux::Message;
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr().unwrap();
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = jsonmux::Client::connect(addr).await?;
/// client.clone().oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// let stats = client.stats();
/// assert_eq!((stats.calls.calls, stats.in_flight, stats.reconnects), (1, 0, 0));
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Connections up now.
    pub connections: usize,
    /// `Uid`s taken now: calls waiting for their answer, and abandoned
    /// ones whose late answer has not arrived.
    pub in_flight: usize,
    /// What became of the calls sent.
    pub calls: CallCounts,
    /// Connections dialed again after one ended.
    pub reconnects: u64,
    /// Calls sent again after their server answered that nothing ran
    /// (see [`ClientBuilder::retry_budget`](crate::ClientBuilder::retry_budget)).
    pub retries: u64,
    /// Retries the budget refused: the call failed with the server's
    /// answer instead.
    pub retries_refused: u64,
    /// Copies of slow idempotent calls sent to another endpoint (see
    /// [`ClientBuilder::hedge`](crate::ClientBuilder::hedge)).
    pub hedges: u64,
    /// Copies whose answer came first.
    pub hedges_won: u64,
}

impl PoolStats {
    pub(crate) fn sum(endpoints: &[EndpointStatus]) -> PoolStats {
        endpoints
            .iter()
            .fold(PoolStats::default(), |sum, e| PoolStats {
                connections: sum.connections + e.connections,
                in_flight: sum.in_flight + e.in_flight,
                calls: sum.calls + e.calls,
                reconnects: sum.reconnects + e.reconnects,
                ..sum
            })
    }
}
