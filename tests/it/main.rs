//! jsonmux's integration tests, in one binary: real sockets on loopback,
//! ephemeral ports, handlers held at gates the tests open, and paused
//! clocks for everything timed (see `support`).

mod balance;
mod busy_poll;
mod client;
mod compose;
mod connection;
mod deadlines;
mod discovery;
mod extension;
mod faultproxy;
mod handlers;
mod hedging;
mod hostile;
mod http_gateway;
mod interop;
mod loadgen;
#[cfg(feature = "metrics")]
mod metrics;
mod observe;
mod options;
mod overload;
mod pool;
mod retries;
mod server;
mod shutdown;
mod spans;
mod support;
#[cfg(feature = "tls")]
mod tls;
mod transport;
mod uids;
mod unix;
mod wire;
