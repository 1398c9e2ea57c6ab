//! [`Addr`]: where a server listens and where a client connects.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// An endpoint address, the same type on both sides: what
/// [`ServerBuilder::bind`](crate::ServerBuilder::bind) binds, what a client
/// connects to, and what [`Endpoints::add`](crate::pool::Endpoints::add) and
/// [`Endpoints::remove`](crate::pool::Endpoints::remove) take.
///
/// Written as text, `unix:/path/to/socket` is a Unix domain socket and
/// anything else is `host:port` (a host name is resolved again at every
/// dial, so a name whose addresses change is followed).
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use jsonmux::Addr;
///
/// let tcp: Addr = "localhost:3000".into();
/// assert_eq!(tcp, Addr::Tcp("localhost:3000".into()));
/// let unix: Addr = "unix:/run/jsonmux.sock".into();
/// assert_eq!(unix, Addr::Unix("/run/jsonmux.sock".into()));
/// let ip: Addr = SocketAddr::from(([127, 0, 0, 1], 3000)).into();
/// assert_eq!(ip.to_string(), "127.0.0.1:3000");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Addr {
    /// A TCP endpoint, `host:port` (an IP address or a name to resolve).
    Tcp(String),
    /// A Unix domain socket at this path.
    Unix(PathBuf),
}

/// The prefix that marks a Unix socket path in an address's text form.
const UNIX_PREFIX: &str = "unix:";

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp(hostport) => f.write_str(hostport),
            Addr::Unix(path) => write!(f, "{UNIX_PREFIX}{}", path.display()),
        }
    }
}

impl From<&str> for Addr {
    fn from(s: &str) -> Addr {
        match s.strip_prefix(UNIX_PREFIX) {
            Some(path) => Addr::Unix(PathBuf::from(path)),
            None => Addr::Tcp(s.to_owned()),
        }
    }
}

impl From<String> for Addr {
    fn from(s: String) -> Addr {
        if s.starts_with(UNIX_PREFIX) {
            return Addr::from(s.as_str());
        }
        Addr::Tcp(s)
    }
}

impl From<&String> for Addr {
    fn from(s: &String) -> Addr {
        Addr::from(s.as_str())
    }
}

impl From<SocketAddr> for Addr {
    fn from(a: SocketAddr) -> Addr {
        Addr::Tcp(a.to_string())
    }
}

impl From<&Addr> for Addr {
    fn from(a: &Addr) -> Addr {
        a.clone()
    }
}

impl FromStr for Addr {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Addr, Self::Err> {
        Ok(Addr::from(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for text in [
            "127.0.0.1:3000",
            "[::1]:3000",
            "pigs.example:80",
            "unix:/tmp/x.sock",
        ] {
            assert_eq!(Addr::from(text).to_string(), text);
        }
    }

    #[test]
    fn a_unix_prefix_makes_a_unix_address() {
        assert_eq!(
            Addr::from(String::from("unix:rel.sock")),
            Addr::Unix("rel.sock".into())
        );
    }
}
