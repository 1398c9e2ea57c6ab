//! [`serve`]: one connection on the tokio-tower engine.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tower::multiplex;
use tower::{BoxError, Service};

use super::super::framing::Framing;
use super::busy::{FlushWhenBusy, HeldFlush};
use super::transport::Transport;
use crate::server::close::Close;
use crate::{Message, Resp};

/// Serves one connection with tokio-tower's `multiplex::Server` until it
/// ends; returns why, unless the peer closed it.
///
/// The same guarantees as the jsonmux engine's driver: whatever ends the
/// reading (the peer, the drain, bad input, a timeout), the requests read
/// before are answered and flushed first, and a reason the peer can be
/// told is sent as a last error answer. On shutdown the framing sends the
/// going-away notice and reading goes on until the connection is quiet or
/// its grace is over. A socket that fails or stops taking answers, or a
/// service whose readiness fails, ends the connection at once.
pub(crate) async fn serve<S, T>(framing: Framing<T>, svc: S) -> Option<Close>
where
    S: Service<Message, Response = Resp, Error = BoxError>,
    T: AsyncRead + AsyncWrite + Unpin,
{
    let held = HeldFlush::default();
    let mut transport = Transport::new(framing, &held);
    let svc = FlushWhenBusy::new(svc, &held);
    let ended = match multiplex::Server::new(&mut transport, svc).await {
        Ok(()) => Ok(transport.end_reason()),
        Err(failed) => Err(close_for(failed)),
    };
    transport.into_framing().end(ended).await
}

/// Why a connection failed, from tokio-tower's error.
fn close_for<T, S>(e: multiplex::server::Error<T, S>) -> Close
where
    T: futures_sink::Sink<Resp, Error = Close> + futures_core::TryStream<Error = Close>,
    S: Service<T::Ok, Response = Resp, Error = BoxError>,
{
    match e {
        multiplex::server::Error::BrokenTransportRecv(why)
        | multiplex::server::Error::BrokenTransportSend(why) => why,
        multiplex::server::Error::Service(e) => Close::Service(e),
    }
}
