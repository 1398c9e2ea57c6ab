//! Dialing: from an [`Addr`](crate::Addr) to an open, configured stream.
//!
//! A leaf module: it knows addresses, sockets and errors, nothing of the
//! protocol. Connections and pools call [`TcpOptions::dial`].
//!
//! ```text
//! Addr::Tcp("host:port") ─ resolve ─ connect (first address that answers) ─ socket options ─ TcpStream
//!                          └──────── one deadline: dial_timeout ──────────┘
//! ```

pub(crate) mod tcp;

pub(crate) use tcp::TcpOptions;
