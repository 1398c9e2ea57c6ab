//! [`Slot`]: a handler's future on the heap, polled once as it starts and
//! reused from request to request while handlers answer at once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A heap slot for one handler's future.
pub(super) type Slot<F> = Pin<Box<Option<F>>>;

/// Puts `fut` in `slot` (a new one if `None`) and polls it once: its
/// output, with the slot emptied for the next handler, or the slot still
/// holding it while it works.
#[inline(always)]
pub(super) fn start<F: Future>(
    slot: Option<Slot<F>>,
    fut: F,
    cx: &mut Context<'_>,
) -> Result<(F::Output, Slot<F>), Slot<F>> {
    let mut slot = slot.unwrap_or_else(|| Box::pin(None));
    slot.set(Some(fut));
    let polled = slot
        .as_mut()
        .as_pin_mut()
        .expect("the handler was just put in")
        .poll(cx);
    match polled {
        Poll::Ready(out) => {
            slot.set(None);
            Ok((out, slot))
        }
        Poll::Pending => Err(slot),
    }
}
