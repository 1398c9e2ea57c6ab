//! Shared test helpers: a server on 127.0.0.1:0 whose handlers wait at
//! gates the test opens, raw sockets, misbehaving peers (one type, a mode
//! per way of breaking the protocol), and bounded waits on a real or a
//! paused clock.

pub(crate) mod calls;
#[cfg(feature = "tls")]
pub(crate) mod certs;
pub(crate) mod engines;
pub(crate) mod gates;
pub(crate) mod logs;
pub(crate) mod peers;
pub(crate) mod raw;
pub(crate) mod server;
pub(crate) mod time;
