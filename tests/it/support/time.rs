//! Waiting with a bound, on the real clock or on a paused one.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

/// Upper bound, in real time, for anything a test waits on; far above
/// what any step needs.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

thread_local! {
    /// Set on the thread of a [`with_paused_clock`] test.
    static PAUSED: Cell<bool> = const { Cell::new(false) };
}

/// Awaits `fut`, failing the test if it takes longer than [`PATIENCE`].
///
/// On a paused clock the bound is the test's own (see
/// [`with_paused_clock`]): a timer here would be the next one the clock
/// jumps to whenever the runtime waits, bytes on their way or not.
pub(crate) async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    if PAUSED.with(Cell::get) {
        return fut.await;
    }
    tokio::time::timeout(PATIENCE, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {PATIENCE:?}"))
}

/// Waits until `cond` holds, checking every few milliseconds, for at most
/// [`PATIENCE`]. For state that has no event to await.
pub(crate) async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
}

/// Runs a test on a one-thread runtime whose clock is paused, failing it
/// if it has not finished within [`PATIENCE`] of real time.
///
/// The clock stands still while any task can run and jumps to the next
/// timer once none can: every timeout fires exactly when it is due in the
/// test's own time, however loaded the machine. Sockets on loopback fit
/// this: bytes written are readable before the writer's call returns, so
/// the runtime never waits on bytes in transit. A sleep in such a test
/// lets everything that can happen happen, then moves the clock.
pub(crate) fn with_paused_clock<F>(test: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    on_a_watched_thread(true, test)
}

/// Runs a test on a one-thread runtime with the real clock, failing it if
/// it has not finished within [`PATIENCE`], even if it holds its thread
/// (which a timer inside the test could not notice).
pub(crate) fn with_real_clock<F>(test: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    on_a_watched_thread(false, test)
}

fn on_a_watched_thread<F>(paused: bool, test: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    use std::sync::mpsc::RecvTimeoutError;
    let (done, finished) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        PAUSED.with(|p| p.set(paused));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(paused)
            .build()
            .expect("a one-thread runtime");
        rt.block_on(test());
        let _ = done.send(());
    });
    match finished.recv_timeout(PATIENCE) {
        Ok(()) => {}
        // The test panicked: report its panic.
        Err(RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(thread.join().expect_err("it did not finish"))
        }
        Err(RecvTimeoutError::Timeout) => panic!("still running after {PATIENCE:?} of real time"),
    }
}
