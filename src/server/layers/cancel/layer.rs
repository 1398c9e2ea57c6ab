//! [`CancelLayer`]: the layer.

use std::sync::Arc;

use tower::Layer;

use super::{Cancel, Cancellations};

/// Applies [`Cancel`] with one connection's [`Cancellations`].
#[derive(Clone, Debug)]
pub(crate) struct CancelLayer {
    cancellations: Arc<Cancellations>,
}

impl CancelLayer {
    pub(crate) fn new(cancellations: Arc<Cancellations>) -> Self {
        CancelLayer { cancellations }
    }
}

impl<S> Layer<S> for CancelLayer {
    type Service = Cancel<S>;

    fn layer(&self, inner: S) -> Cancel<S> {
        Cancel::new(inner, self.cancellations.clone())
    }
}
