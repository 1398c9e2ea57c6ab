//! The `compose` example's retry policy in a stack of tower's own layers.

#[path = "../../examples/compose/retry.rs"]
mod retry;

use std::time::Duration;

use jsonmux::{ClientBuilder, Message};
use retry::RetryNotRun;
use tower::retry::budget::TpsBudget;
use tower::{ServiceBuilder, ServiceExt};

use crate::support::server::TestServer;
use crate::support::time::bounded;

/// A call shed by tower's `LoadShed` (its own `Overloaded`, not jsonmux's)
/// is recognised as not run by a policy that sees it by reference, and
/// sent again once there is room.
#[tokio::test]
async fn a_call_shed_by_towers_load_shed_is_retried_by_a_policy_that_sees_it_by_reference() {
    let server = TestServer::start().await;
    let pool = ClientBuilder::new().pool([server.addr]).unwrap();
    let policy = RetryNotRun::new(TpsBudget::new(Duration::from_secs(10), 10, 0.5));
    let svc = ServiceBuilder::new()
        .retry(policy.clone())
        .load_shed()
        .concurrency_limit(1)
        .service(pool);
    let held = tokio::spawn(svc.clone().oneshot(Message::new("held", "wait:one")));
    server.gates.arrived("one", 1).await;
    let shed = tokio::spawn(svc.oneshot(Message::new("shed", "x")));
    crate::support::time::eventually("the call shed and retried", || policy.retried() > 0).await;
    server.gates.open("one");
    bounded("the held call", held).await.unwrap().unwrap();
    let resp = bounded("the retried call", shed).await.unwrap().unwrap();
    assert_eq!(resp.val, "server: hello, x");
    server.stop().await;
}
