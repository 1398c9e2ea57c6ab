//! `--engine jsonmux|tokio-tower`: [`jsonmux::Engine`] as a command-line value.

use clap::ValueEnum;

/// Which engine drives the connections (the client's or the server's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum EngineArg {
    /// jsonmux's own (the default).
    #[default]
    Jsonmux,
    /// tokio-tower's multiplex transport.
    #[cfg(feature = "tokio-tower")]
    TokioTower,
}

impl From<EngineArg> for jsonmux::Engine {
    fn from(e: EngineArg) -> Self {
        match e {
            EngineArg::Jsonmux => jsonmux::Engine::Jsonmux,
            #[cfg(feature = "tokio-tower")]
            EngineArg::TokioTower => jsonmux::Engine::TokioTower,
        }
    }
}
