//! Calls on tasks of their own, and waiting for their answers.

use jsonmux::{Client, Error, Message, Resp};
use tokio::task::JoinHandle;
use tower::ServiceExt;

use super::time::bounded;

/// A call running on a task of its own.
pub(crate) type Call = JoinHandle<Result<Resp, Error>>;

/// `n` calls `{tag}{i}` with value `val`, each on a task of its own.
pub(crate) fn spawn_calls(client: &Client, tag: &str, n: usize, val: &str) -> Vec<Call> {
    (0..n)
        .map(|i| {
            let msg = Message::new(format!("{tag}{i}"), val);
            tokio::spawn(client.clone().oneshot(msg))
        })
        .collect()
}

/// Awaits every call, each of which must succeed.
pub(crate) async fn all_answered(calls: Vec<Call>) {
    for c in calls {
        bounded("a call", c).await.unwrap().unwrap();
    }
}
