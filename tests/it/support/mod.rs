//! Shared test helpers: a server on 127.0.0.1:0 whose handlers wait at
//! gates the test opens (`server`, `gates`), clients and calls (`calls`),
//! raw sockets (`raw`), misbehaving peers (`peers`: one type, a mode per
//! way of breaking the protocol), one test per engine (`engines`), and
//! bounded waits on a real or a paused clock (`time`).

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
