//! [`Engine`]: what drives a connection, on either side.

/// What drives a connection: jsonmux's own engine (the default) or
/// tokio-tower's multiplexing transport, on the client
/// (`ClientBuilder::engine`) and on the server (`ServerBuilder::engine`).
///
/// Both keep every jsonmux guarantee (one outcome per call, `Uid`s never
/// cross, bad input costs only its sender's connection, bounded memory),
/// every option and the drain; they differ in cost. jsonmux's engine, for
/// production, writes a whole batch of requests or answers with one write
/// and hands requests to its task without a one-slot hand-off, so it
/// spends the least CPU per call. tokio-tower's runs your calls through
/// the tower ecosystem's own multiplexing transport
/// (`tokio_tower::multiplex`), at more CPU per call (most on the client),
/// and builds tower 0.4 beside tower 0.5 (the `tokio-tower` feature, on by
/// default). PERFORMANCE.md compares them.
///
/// # Examples
///
/// ```
/// use jsonmux::Engine;
///
/// assert_eq!(Engine::default(), Engine::Jsonmux);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Engine {
    /// jsonmux's own: a dispatch task per client connection, a driver per
    /// server connection that answers ready handlers inline; one write
    /// per batch on both sides.
    #[default]
    Jsonmux,
    /// tokio-tower's `multiplex` transport: `multiplex::Client` (shared by
    /// a connection's clones through a queue its task pumps) on the
    /// client, `multiplex::Server` on the server.
    #[cfg(feature = "tokio-tower")]
    TokioTower,
}
