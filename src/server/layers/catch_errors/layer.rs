//! [`CatchErrorsLayer`]: applies [`CatchErrors`].

use tower::Layer;

use super::CatchErrors;

/// Wraps a service in [`CatchErrors`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CatchErrorsLayer;

impl CatchErrorsLayer {
    pub(crate) fn new() -> Self {
        CatchErrorsLayer
    }
}

impl<S> Layer<S> for CatchErrorsLayer {
    type Service = CatchErrors<S>;

    fn layer(&self, inner: S) -> CatchErrors<S> {
        CatchErrors::new(inner)
    }
}
