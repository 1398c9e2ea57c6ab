//! [`serve`]: one connection on the tokio-tower engine.

use std::future::Future;
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tower::multiplex;
use tower::{BoxError, Service};

use super::super::framing::{Framing, Read};
use super::answer::PollOnCall;
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
///
/// A `multiplex::Server` runs only while the connection speaks: one is
/// made when a request comes, and it ends once the connection has been
/// idle long enough to give back its buffers (see [`Transport`]). A quiet
/// connection keeps only its framing and its service.
pub(crate) fn serve<S, T>(framing: Framing<T>, svc: S) -> impl Future<Output = Option<Close>>
where
    S: Service<Message, Response = Resp, Error = BoxError>,
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut conn = Connection {
        framing,
        svc,
        held: HeldFlush::default(),
    };
    // Captured, and used in place: an async fn's argument, or a binding
    // moved out of a capture, would be stored a second time.
    async move {
        let ended = run(&mut conn).await;
        // Boxed: the last words' state (a send, a timeout) is needed only
        // now; inline, it would make every open connection's task larger.
        Box::pin(conn.framing.end(ended)).await
    }
}

/// What a connection keeps between its `multiplex::Server`s.
struct Connection<S, T> {
    framing: Framing<T>,
    svc: S,
    /// Whether the transport holds a flush back, shared with the service.
    held: HeldFlush,
}

/// Serves `conn` until reading has ended and every request read is
/// answered (`Ok`, with the reason to tell the peer), or the socket or the
/// service fails (`Err`).
async fn run<S, T>(conn: &mut Connection<S, T>) -> Result<Option<Close>, Close>
where
    S: Service<Message, Response = Resp, Error = BoxError>,
    T: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        // 1. Quiet: the framing alone waits for a request (and runs the
        //    clocks and the drain meanwhile), once the service is ready, as
        //    the server would have it.
        let read = std::future::poll_fn(|cx| {
            if let Err(e) = std::task::ready!(conn.svc.poll_ready(cx)) {
                return Poll::Ready(Err(Close::Service(e)));
            }
            conn.framing.poll_read(cx).map(Ok)
        });
        let first = match read.await {
            Ok(Read::Request(msg)) => msg,
            Ok(Read::End(why)) => return Ok(why),
            Err(failed) => return Err(failed),
        };
        // 2. Speaking: a multiplex server, from that request until the
        //    connection is quiet again or ends.
        let mut transport = Transport::new(&mut conn.framing, &conn.held, first);
        let svc = FlushWhenBusy::new(PollOnCall::new(&mut conn.svc), &conn.held);
        match multiplex::Server::new(&mut transport, svc).await {
            Ok(()) => match transport.ended() {
                Some(why) => return Ok(why),
                None => continue,
            },
            Err(failed) => return Err(close_for(failed)),
        }
    }
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
