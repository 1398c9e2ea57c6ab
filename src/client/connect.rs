//! Dialing: one deadline over resolve + connect, then socket options.

use std::io;
use std::sync::Arc;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::{lookup_host, TcpStream, ToSocketAddrs};

use super::builder::ClientBuilder;
use crate::Error;

impl ClientBuilder {
    /// Resolves `addr`, connects to the first address that answers, and
    /// applies the socket options, all within the dial timeout.
    pub(crate) async fn dial(&self, addr: impl ToSocketAddrs) -> Result<TcpStream, Error> {
        let opts = &self.opts;
        let attempt = async {
            let mut last =
                io::Error::new(io::ErrorKind::InvalidInput, "address resolved to nothing");
            for a in lookup_host(addr).await? {
                match TcpStream::connect(a).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = e,
                }
            }
            Err(last)
        };
        let stream = match tokio::time::timeout(opts.dial_timeout, attempt).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(Error::Connect(Arc::new(e))),
            Err(_) => {
                let e = io::Error::new(io::ErrorKind::TimedOut, "dial timed out");
                return Err(Error::Connect(Arc::new(e)));
            }
        };
        self.configure(&stream)
            .map_err(|e| Error::Connect(Arc::new(e)))?;
        Ok(stream)
    }

    /// Applies `TCP_NODELAY` and keepalive to a connected socket.
    fn configure(&self, stream: &TcpStream) -> io::Result<()> {
        let opts = &self.opts;
        stream.set_nodelay(opts.nodelay)?;
        if let Some(time) = opts.keepalive {
            SockRef::from(stream).set_tcp_keepalive(&TcpKeepalive::new().with_time(time))?;
        }
        Ok(())
    }
}
