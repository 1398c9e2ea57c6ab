//! [`Dialer`]: from an endpoint's address to a running [`Connection`],
//! through a connector and, when configured, TLS.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tower::{BoxError, Service, ServiceExt};

use super::options::ConnectionOptions;
use super::Connection;
use crate::transport::TcpOptions;
use crate::{Addr, Error};

/// Default dial timeout: 3 s for connecting (resolving, connecting and the
/// TLS handshake), as the Go peers do.
pub(crate) const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(3);

/// What a dial gives: the connection, started.
type Dialed = Pin<Box<dyn Future<Output = Result<Connection, Error>> + Send>>;

/// How a client reaches an endpoint: a connector gives a stream (TCP or
/// Unix by the address, or the user's connector), TLS runs over it if
/// configured, and the connection's task starts on the result, all within
/// the dial timeout.
///
/// Each connection's task is generic over its stream's type, so the
/// stream is never boxed: only the dial itself is (a user's connector is
/// erased behind [`Connector`]).
#[derive(Clone)]
pub(crate) struct Dialer {
    pub(crate) dial_timeout: Duration,
    /// TCP's dialing and socket options (for the built-in connector).
    pub(crate) tcp: TcpOptions,
    /// A user's connector; `None`: TCP or Unix, by the address.
    connector: Option<Arc<dyn Connector>>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::transport::tls::TlsConnector>,
}

impl Default for Dialer {
    fn default() -> Self {
        Dialer {
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            tcp: TcpOptions::default(),
            connector: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl Dialer {
    /// The first option that cannot be used.
    pub(crate) fn check(&self) -> Result<(), Error> {
        crate::check::time("dial_timeout", self.dial_timeout)?;
        self.tcp.check()
    }

    /// Dials through `connector` from now on.
    pub(crate) fn set_connector<C>(&mut self, connector: C)
    where
        C: Service<Addr> + Clone + Send + 'static,
        C::Response: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        C::Error: Into<BoxError>,
        C::Future: Send + 'static,
    {
        self.connector = Some(Arc::new(Mutex::new(connector)));
    }

    /// Dials `addr` and starts a connection over the stream.
    ///
    /// # Errors
    ///
    /// [`Error::DialTimeout`] past the dial timeout; otherwise the
    /// connector's error ([`Error::Connect`], [`Error::Unresolved`], …) or
    /// the TLS handshake's ([`Error::Tls`]).
    pub(crate) async fn connect(
        &self,
        addr: &Addr,
        opts: &ConnectionOptions,
    ) -> Result<Connection, Error> {
        let dial = async {
            match &self.connector {
                Some(connector) => {
                    connector
                        .dial(addr.clone(), self.clone(), opts.clone())
                        .await
                }
                None => self.connect_builtin(addr, opts).await,
            }
        };
        tokio::time::timeout(self.dial_timeout, dial)
            .await
            .map_err(|_| Error::DialTimeout(self.dial_timeout))?
    }

    /// The built-in connector: TCP or Unix, by the address.
    async fn connect_builtin(
        &self,
        addr: &Addr,
        opts: &ConnectionOptions,
    ) -> Result<Connection, Error> {
        match addr {
            Addr::Tcp(hostport) => self.start(self.tcp.dial(hostport).await?, addr, opts).await,
            #[cfg(unix)]
            Addr::Unix(path) => {
                let stream = crate::transport::unix::dial(path).await?;
                self.start(stream, addr, opts).await
            }
            #[cfg(not(unix))]
            Addr::Unix(_) => Err(Error::Connect(Arc::new(io::Error::new(
                io::ErrorKind::Unsupported,
                "unix sockets on this platform",
            )))),
        }
    }

    /// Runs the TLS handshake over `io` if configured, then starts the
    /// connection's task over the result.
    async fn start<T>(
        &self,
        io: T,
        addr: &Addr,
        opts: &ConnectionOptions,
    ) -> Result<Connection, Error>
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            let stream = tls.connect(io, addr).await?;
            return Ok(Connection::with_options(stream, opts));
        }
        #[cfg(not(feature = "tls"))]
        let _ = addr; // only TLS needs it: the name to check
        Ok(Connection::with_options(io, opts))
    }
}

impl fmt::Debug for Dialer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Dialer");
        d.field("dial_timeout", &self.dial_timeout)
            .field("tcp", &self.tcp)
            .field("connector", &self.connector.as_ref().map(|_| "custom"));
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls);
        d.finish()
    }
}

/// A user's connector with its stream type erased: what it gives is
/// handed to [`Dialer::start`] while still typed.
trait Connector: Send + Sync {
    fn dial(&self, addr: Addr, dialer: Dialer, opts: ConnectionOptions) -> Dialed;
}

/// The connector sits behind a lock only to be cloned: each dial runs on
/// a clone (dials are rare; calls never come here).
impl<C> Connector for Mutex<C>
where
    C: Service<Addr> + Clone + Send + 'static,
    C::Response: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
{
    fn dial(&self, addr: Addr, dialer: Dialer, opts: ConnectionOptions) -> Dialed {
        let connector = self.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Box::pin(async move {
            let stream = connector
                .oneshot(addr.clone())
                .await
                .map_err(|e| connect_error(e.into()))?;
            dialer.start(stream, &addr, &opts).await
        })
    }
}

/// A connector's error as a dial error: ours as is, an I/O error as
/// [`Error::Connect`], anything else as [`Error::Other`].
fn connect_error(e: BoxError) -> Error {
    match e.downcast::<io::Error>() {
        Ok(io) => Error::Connect(Arc::new(*io)),
        Err(e) => Error::from(e),
    }
}
