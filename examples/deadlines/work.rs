//! Handlers that note when they start and when they stop working (done,
//! or dropped by a cancel or a deadline), for the scenarios to compare
//! with when their callers gave up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// How a handler spends its time.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape {
    /// Waits (a timer), as for a database or another service.
    Wait,
    /// Computes (spins) in slices this long, yielding between them.
    Compute { slice: Duration },
}

/// When a handler started working, and when it stopped if it has.
type Span = (Instant, Option<Instant>);

/// When each handler, by `Uid`, started and stopped working.
#[derive(Clone, Debug, Default)]
pub(crate) struct Log {
    spans: Arc<Mutex<HashMap<String, Span>>>,
}

impl Log {
    /// A handler for `uid` starts; it stops when the guard is dropped.
    pub(crate) fn start(&self, uid: &str) -> Working {
        self.spans
            .lock()
            .unwrap()
            .insert(uid.to_owned(), (Instant::now(), None));
        Working {
            log: self.clone(),
            uid: uid.to_owned(),
        }
    }

    /// When the handler for `uid` started, if it did.
    pub(crate) fn started(&self, uid: &str) -> Option<Instant> {
        self.spans.lock().unwrap().get(uid).map(|(s, _)| *s)
    }

    /// When the handler for `uid` stopped, if it did.
    pub(crate) fn stopped(&self, uid: &str) -> Option<Instant> {
        self.spans.lock().unwrap().get(uid).and_then(|(_, e)| *e)
    }

    /// True once every handler started has stopped.
    pub(crate) fn all_stopped(&self) -> bool {
        self.spans
            .lock()
            .unwrap()
            .values()
            .all(|(_, e)| e.is_some())
    }
}

/// One handler at work.
pub(crate) struct Working {
    log: Log,
    uid: String,
}

impl Drop for Working {
    fn drop(&mut self) {
        if let Some(span) = self.log.spans.lock().unwrap().get_mut(&self.uid) {
            span.1 = Some(Instant::now());
        }
    }
}

/// Works for `total` in `shape`.
pub(crate) async fn work(total: Duration, shape: Shape) {
    match shape {
        Shape::Wait => tokio::time::sleep(total).await,
        Shape::Compute { slice } => {
            let until = Instant::now() + total;
            while Instant::now() < until {
                let slice_ends = std::time::Instant::now() + slice;
                while std::time::Instant::now() < slice_ends {
                    std::hint::spin_loop();
                }
                tokio::task::yield_now().await;
            }
        }
    }
}
