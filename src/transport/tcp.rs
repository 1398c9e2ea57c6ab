//! [`TcpOptions`]: TCP dialing with one deadline, then socket options.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::{lookup_host, TcpStream};

use crate::{Addr, Error};

/// Default dial timeout: 3 s for resolve + connect, as in the seed.
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(3);
/// Default idle time before the first TCP keepalive probe: 30 s.
pub const DEFAULT_KEEPALIVE_TIME: Duration = Duration::from_secs(30);
/// Default time between TCP keepalive probes: 10 s.
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// Default unanswered keepalive probes before the kernel drops the connection: 3.
pub const DEFAULT_KEEPALIVE_RETRIES: u32 = 3;
/// Default `TCP_USER_TIMEOUT`: unacknowledged data for 30 s closes the connection.
pub const DEFAULT_TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// How to dial a TCP endpoint and configure its socket.
#[derive(Clone, Debug)]
pub(crate) struct TcpOptions {
    /// One deadline over resolving and connecting.
    pub(crate) dial_timeout: Duration,
    /// `TCP_NODELAY`: requests are batched by the connection already, so
    /// the kernel must not hold them back.
    pub(crate) nodelay: bool,
    /// Idle time before the first keepalive probe; `None`: keepalive off.
    pub(crate) keepalive_time: Option<Duration>,
    pub(crate) keepalive_interval: Duration,
    pub(crate) keepalive_retries: u32,
    /// `SO_LINGER`; `None` leaves the system's orderly close.
    pub(crate) linger: Option<Duration>,
    /// `TCP_USER_TIMEOUT` (Linux); `None` leaves the system's default.
    pub(crate) tcp_user_timeout: Option<Duration>,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            nodelay: true,
            keepalive_time: Some(DEFAULT_KEEPALIVE_TIME),
            keepalive_interval: DEFAULT_KEEPALIVE_INTERVAL,
            keepalive_retries: DEFAULT_KEEPALIVE_RETRIES,
            linger: None,
            tcp_user_timeout: Some(DEFAULT_TCP_USER_TIMEOUT),
        }
    }
}

impl TcpOptions {
    /// Resolves `addr`, connects to the first address that answers, and
    /// applies the socket options, all within the dial timeout.
    ///
    /// # Errors
    ///
    /// [`Error::DialTimeout`] past the deadline, [`Error::Unresolved`] for
    /// a name with no address, [`Error::Connect`] otherwise: the last
    /// connect error, or an [`io::ErrorKind::Unsupported`] one for an
    /// [`Addr::Unix`], which this dialer does not reach.
    pub(crate) async fn dial(&self, addr: &Addr) -> Result<TcpStream, Error> {
        let connect_failed = |e| Error::Connect(Arc::new(e));
        let hostport = match addr {
            Addr::Tcp(hostport) => hostport.as_str(),
            Addr::Unix(_) => {
                let e = io::Error::new(io::ErrorKind::Unsupported, "unix sockets");
                return Err(connect_failed(e));
            }
        };
        let attempt = async {
            let mut last = None;
            for a in lookup_host(hostport).await.map_err(connect_failed)? {
                match TcpStream::connect(a).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.map_or_else(|| Error::Unresolved(hostport.to_owned()), connect_failed))
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
