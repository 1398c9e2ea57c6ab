//! [`TcpOptions`]: TCP dialing, then socket options.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::{lookup_host, TcpStream};

use crate::{check, Error};

/// Default idle time before the first TCP keepalive probe: 30 s.
pub(crate) const DEFAULT_KEEPALIVE_TIME: Duration = Duration::from_secs(30);
/// Default time between TCP keepalive probes: 10 s.
pub(crate) const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// Default unanswered keepalive probes before the kernel drops the connection: 3.
pub(crate) const DEFAULT_KEEPALIVE_RETRIES: u32 = 3;
/// Default `TCP_USER_TIMEOUT`: unacknowledged data for 30 s closes the connection.
pub(crate) const DEFAULT_TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// How to dial a TCP endpoint and configure its socket.
#[derive(Clone, Debug)]
pub(crate) struct TcpOptions {
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
    /// The first option that cannot be used. (`linger` may be zero: an
    /// abortive close.)
    pub(crate) fn check(&self) -> Result<(), Error> {
        check::some_time("keepalive_time", self.keepalive_time)?;
        check::time("keepalive_interval", self.keepalive_interval)?;
        if self.keepalive_retries == 0 {
            return Err(Error::invalid(
                "keepalive_retries",
                0u32,
                "must be at least 1",
            ));
        }
        check::some_time("tcp_user_timeout", self.tcp_user_timeout)
    }

    /// Resolves `hostport`, connects to the first address that answers, and
    /// applies the socket options. (The caller bounds it with the dial
    /// timeout.)
    ///
    /// # Errors
    ///
    /// [`Error::Unresolved`] for a name with no address, [`Error::Connect`]
    /// otherwise, with the last connect error.
    pub(crate) async fn dial(&self, hostport: &str) -> Result<TcpStream, Error> {
        let connect_failed = |e| Error::Connect(Arc::new(e));
        let mut last = None;
        for a in lookup_host(hostport).await.map_err(connect_failed)? {
            match TcpStream::connect(a).await {
                Ok(stream) => {
                    self.configure(&stream).map_err(connect_failed)?;
                    return Ok(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or_else(|| Error::Unresolved(hostport.to_owned()), connect_failed))
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
