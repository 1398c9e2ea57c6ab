//! [`ClientError`] and [`ClientCall`]: what tokio-tower's multiplex client
//! gives back for a call.

use std::future::Future;
use std::pin::Pin;

use crate::Resp;

/// The multiplex client's error. The client converts tokio-tower's errors
/// into its error type; with a type of the engine's own, that conversion
/// stays inside the crate (on jsonmux's `Error` it would be public API).
///
/// It carries nothing, as callers never see it: it only ends a call, the
/// client's hand-off or the client's task. Each caller reads the
/// connection's recorded cause instead: the transport records it before
/// it fails, and the pending store records one when the client's task
/// ends, if none was.
#[derive(Debug)]
pub(super) struct ClientError;

/// The multiplex client's future for one call.
pub(super) type ClientCall = Pin<Box<dyn Future<Output = Result<Resp, ClientError>> + Send>>;
