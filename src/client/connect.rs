//! Dialing: one deadline over resolve + connect, then socket options.

use std::io;
use std::sync::Arc;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::{lookup_host, TcpStream};

use super::options::Options;
use crate::{Addr, Error};

impl Options {
    /// Resolves `addr`, connects to the first address that answers, and
    /// applies the socket options, all within the dial timeout.
    pub(crate) async fn dial(&self, addr: &Addr) -> Result<TcpStream, Error> {
        let addr = match addr {
            Addr::Tcp(hostport) => hostport.as_str(),
            Addr::Unix(_) => {
                let e = io::Error::new(io::ErrorKind::Unsupported, "unix sockets");
                return Err(Error::Connect(Arc::new(e)));
            }
        };
        let connect_failed = |e| Error::Connect(Arc::new(e));
        let attempt = async {
            let mut last = None;
            for a in lookup_host(addr).await.map_err(connect_failed)? {
                match TcpStream::connect(a).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.map_or_else(|| Error::Unresolved(addr.to_owned()), connect_failed))
        };
        let stream = tokio::time::timeout(self.dial_timeout, attempt)
            .await
            .map_err(|_| Error::DialTimeout(self.dial_timeout))??;
        self.configure(&stream).map_err(connect_failed)?;
        Ok(stream)
    }

    /// Applies `TCP_NODELAY`, keepalive, `SO_LINGER` and `TCP_USER_TIMEOUT`.
    fn configure(&self, stream: &TcpStream) -> io::Result<()> {
        let sock = SockRef::from(stream);
        sock.set_tcp_nodelay(self.nodelay)?;
        if let Some(time) = self.keepalive_time {
            let ka = TcpKeepalive::new().with_time(time);
            #[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd"))]
            let ka = ka
                .with_interval(self.keepalive_interval)
                .with_retries(self.keepalive_retries);
            sock.set_tcp_keepalive(&ka)?;
        }
        if self.linger.is_some() {
            sock.set_linger(self.linger)?;
        }
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
        sock.set_tcp_user_timeout(self.tcp_user_timeout)?;
        Ok(())
    }
}
