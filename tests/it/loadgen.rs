//! The load generator's start-up wait (`examples/loadgen/ready.rs`): the
//! load starts once every connection is up, and the wait ends at its
//! deadline with what failed.

use std::time::Duration;

use crate::support::calls::quick;
use crate::support::peers::{Mode, Peer};
use crate::support::server::TestServer;
use crate::support::time::{bounded, with_paused_clock, PATIENCE};
use jsonmux::{ClientBuilder, Engine};
use tokio::time::Instant;

#[path = "../../examples/loadgen/ready.rs"]
mod ready;

fn pool_of_three() -> ClientBuilder {
    quick(Engine::default()).pool_size(3)
}

/// A pool that cannot fill (its server accepts and closes at once) ends the wait at the deadline, with the count and the last error.
#[test]
fn the_wait_for_a_pool_that_cannot_fill_ends_at_its_deadline_with_the_cause() {
    with_paused_clock(|| async {
        let peer = Peer::start(Mode::AcceptThenClose).await;
        let client = pool_of_three().connect_lazy([peer.addr]).unwrap();
        let timeout = Duration::from_secs(5);
        let started = Instant::now();
        let err = ready::wait_connected(client.endpoints(), 3, started + timeout)
            .await
            .unwrap_err();
        let waited = started.elapsed();
        assert!(
            waited >= timeout && waited < timeout + Duration::from_millis(5),
            "{waited:?}"
        );
        assert!(
            err.ends_with("/3 connections up, last error: connection closed: closed by the peer"),
            "{err}"
        );
        // The pool kept dialing all along.
        assert!(client.endpoints().status()[0].reconnects > 3);
    });
}

/// A pool whose connections all come up ends the wait at once.
#[tokio::test]
async fn the_wait_ends_once_every_connection_is_up() {
    let server = TestServer::start().await;
    let client = pool_of_three().connect_lazy([server.addr]).unwrap();
    let wait = ready::wait_connected(client.endpoints(), 3, Instant::now() + PATIENCE);
    bounded("three connections up", wait).await.unwrap();
    assert_eq!(client.endpoints().status()[0].connections, 3);
    server.stop().await;
}
