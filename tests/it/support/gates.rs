//! [`Gates`]: named points where handlers wait until the test lets them go.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::time::bounded;

/// Named gates that [`scripted`](super::server::scripted) handlers wait at
/// (`wait:<name>`) until the test opens them.
///
/// A handler that has arrived at a closed gate is provably in flight at
/// the server: the test can act (time out, drop, shut down) knowing the
/// answer cannot come before it opens the gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gates {
    gates: Arc<Mutex<HashMap<String, watch::Sender<Gate>>>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Gate {
    /// Handlers that have reached the gate so far.
    arrived: usize,
    open: bool,
}

impl Gates {
    fn gate(&self, name: &str) -> watch::Sender<Gate> {
        let mut gates = self.gates.lock().unwrap();
        let gate = gates.entry(name.to_owned());
        gate.or_insert_with(|| watch::Sender::new(Gate::default()))
            .clone()
    }

    /// A handler arrives at `name`: counted, then held until it opens.
    pub(crate) async fn pass(&self, name: &str) {
        let gate = self.gate(name);
        gate.send_modify(|g| g.arrived += 1);
        let mut watch = gate.subscribe();
        // `gate` is a sender: the channel stays open while we wait.
        watch.wait_for(|g| g.open).await.expect("gate sender alive");
    }

    /// Opens `name`: the handlers held there go on, and later ones pass.
    pub(crate) fn open(&self, name: &str) {
        self.gate(name).send_modify(|g| g.open = true);
    }

    /// Waits until `n` handlers have arrived at `name`.
    pub(crate) async fn arrived(&self, name: &str, n: usize) {
        let mut watch = self.gate(name).subscribe();
        let what = format!("{n} handler(s) at gate {name:?}");
        let arrived = watch.wait_for(|g| g.arrived >= n);
        bounded(&what, arrived).await.expect("gate sender alive");
    }

    /// How many handlers have arrived at `name` so far.
    pub(crate) fn count(&self, name: &str) -> usize {
        self.gate(name).borrow().arrived
    }
}
