//! [`AdmissionLayer`]: applies [`Admission`], every connection against one cap.

use std::sync::Arc;

use tower::Layer;

use super::{Admission, Occupancy};
use crate::server::Overload;

/// Wraps each connection's service in [`Admission`]; the services it makes
/// share one [`Occupancy`].
#[derive(Clone, Debug)]
pub(crate) struct AdmissionLayer {
    occupancy: Option<Arc<Occupancy>>,
    overload: Overload,
}

impl AdmissionLayer {
    /// A cap of `max` handlers at work at once (at least 1: the builder
    /// refuses 0), or none; `overload` says what happens at the cap and
    /// when the service is not ready.
    pub(crate) fn new(max: Option<usize>, overload: Overload) -> Self {
        let queue = overload == Overload::Queue;
        AdmissionLayer {
            occupancy: max.map(|max| Arc::new(Occupancy::new(max, queue))),
            overload,
        }
    }

    /// The shared count, if there is a cap.
    #[cfg(test)]
    pub(crate) fn occupancy(&self) -> Option<&Occupancy> {
        self.occupancy.as_deref()
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;

    fn layer(&self, inner: S) -> Admission<S> {
        Admission::new(inner, self.occupancy.clone(), self.overload)
    }
}
