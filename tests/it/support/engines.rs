//! [`per_engine!`]: one test, run once per [`Engine`](jsonmux::Engine).

/// Turns a test taking an `Engine` into one `#[test]` per engine, named
/// `<name>::jsonmux` and `<name>::tokio_tower` (the latter with the
/// `tokio-tower` feature):
///
/// ```text
/// per_engine! {
///     /// What it shows.
///     async fn name(engine: Engine) { .. }        // each on a #[tokio::test] runtime
/// }
/// per_engine! {
///     /// What it shows.
///     fn name(engine: Engine) { with_paused_clock(move || async move { .. }) }
/// }
/// ```
///
/// Which side the engine drives (the client's connections or the
/// server's) is the test's to say: it passes `engine` to the builder it
/// means.
macro_rules! per_engine {
    ($(#[$doc:meta])* async fn $name:ident($engine:ident: Engine $(,)?) $body:block) => {
        $(#[$doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($engine: ::jsonmux::Engine) $body

            #[::tokio::test]
            async fn jsonmux() {
                run(::jsonmux::Engine::Jsonmux).await
            }

            #[cfg(feature = "tokio-tower")]
            #[::tokio::test]
            async fn tokio_tower() {
                run(::jsonmux::Engine::TokioTower).await
            }
        }
    };
    ($(#[$doc:meta])* fn $name:ident($engine:ident: Engine $(,)?) $body:block) => {
        $(#[$doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($engine: ::jsonmux::Engine) $body

            #[test]
            fn jsonmux() {
                run(::jsonmux::Engine::Jsonmux)
            }

            #[cfg(feature = "tokio-tower")]
            #[test]
            fn tokio_tower() {
                run(::jsonmux::Engine::TokioTower)
            }
        }
    };
}
pub(crate) use per_engine;

/// The default client on `engine`, connected to `addr`.
pub(crate) async fn client_on(
    engine: jsonmux::Engine,
    addr: impl Into<jsonmux::Addr>,
) -> jsonmux::Client {
    jsonmux::ClientBuilder::new()
        .engine(engine)
        .connect(addr)
        .await
        .unwrap()
}
