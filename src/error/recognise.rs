//! Errors out of a tower stack, recognised as jsonmux's.

use std::sync::Arc;

use tower::BoxError;

use super::Error;

impl Error {
    /// The jsonmux error that `e`, an error out of a tower stack, stands
    /// for, without taking it: a jsonmux `Error` (also one passed on by
    /// tower's `Buffer`), tower's `Elapsed` ([`Error::Timeout`]) or its
    /// `Overloaded` ([`Error::Overloaded`]); `None` for any other error.
    ///
    /// For a `tower::retry::Policy`, which sees the result by reference:
    ///
    /// ```
    /// use jsonmux::Error;
    ///
    /// fn retry(result: &Result<jsonmux::Resp, tower::BoxError>) -> bool {
    ///     match result {
    ///         Ok(_) => false,
    ///         Err(e) => Error::from_ref(&**e).is_some_and(|e| e.is_retryable()),
    ///     }
    /// }
    /// let shed: tower::BoxError = Box::new(tower::load_shed::error::Overloaded::new());
    /// assert!(retry(&Err(shed)));
    /// let elapsed: tower::BoxError = Box::new(tower::timeout::error::Elapsed::new());
    /// assert!(!retry(&Err(elapsed)), "a call that timed out may have run");
    /// ```
    pub fn from_ref(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return Some(ours.clone());
        }
        if e.is::<tower::timeout::error::Elapsed>() {
            return Some(Error::Timeout(None));
        }
        if e.is::<tower::load_shed::error::Overloaded>() || e.is::<crate::server::Shed>() {
            return Some(Error::Overloaded);
        }
        if e.is::<tower::buffer::error::ServiceError>() {
            // The inner service failed; `Buffer` hands every caller its error.
            return e.source().and_then(Error::from_ref);
        }
        None
    }
}

impl From<BoxError> for Error {
    /// Turns an error out of a tower stack back into an `Error`; see
    /// [`Error::from_ref`] for the mapping. Any other error is
    /// [`Error::Other`].
    fn from(e: BoxError) -> Error {
        let e = match e.downcast::<Error>() {
            Ok(ours) => return *ours,
            Err(e) => e,
        };
        Error::from_ref(&*e).unwrap_or_else(|| Error::Other(Arc::from(e)))
    }
}
