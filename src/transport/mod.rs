//! Transports: how bytes reach a peer, below the protocol.
//!
//! A leaf module: it knows addresses, sockets, TLS and errors, nothing of
//! the protocol. The client dials through a connector (TCP or Unix by the
//! address, or one of yours), the server serves a stream of accepted
//! connections (its listener, or one of yours); TLS runs over either.
//!
//! ```text
//! client   Addr ─ connector: TCP (resolve, connect, socket options) | Unix | yours ─ [TLS] ─ stream
//!                 └──────────────────── one deadline: dial_timeout ───────────────────┘
//! server   listener (TCP | Unix) or your incoming ─ (stream, ConnInfo) ─ [TLS, handshake timeout] ─ stream
//! ```

mod info;
pub(crate) mod tcp;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(unix)]
pub(crate) mod unix;

pub use info::{ConnInfo, PeerIdentity};
pub(crate) use tcp::TcpOptions;
