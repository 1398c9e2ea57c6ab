//! An HTTP gateway in front of jsonmux: an axum service whose
//! `GET /hello/{name}` handlers call one shared jsonmux `Client`, each call
//! with a fresh `Uid`. By default it also runs the jsonmux server (the
//! Go server's `HelloService`) in the same process; `--upstream` calls another
//! one instead. Prints `listening on http://<addr>`; on Ctrl-C or SIGTERM
//! it drains both (HTTP first, then the jsonmux server) and exits 0.
//!
//! ```sh
//! cargo run --example http_gateway -- --listen 127.0.0.1:8080
//! curl http://127.0.0.1:8080/hello/pig          # server: hello, pig
//! cargo run --example http_gateway -- --upstream 127.0.0.1:3000
//! ```

use std::io::IsTerminal as _;
use std::net::SocketAddr;

use clap::Parser;
use tokio::net::TcpListener;
use tower::BoxError;
use tracing_subscriber::EnvFilter;

mod gateway;
#[path = "../common/shutdown.rs"]
mod shutdown;

/// An HTTP gateway in front of a jsonmux server.
#[derive(Debug, Parser)]
struct Args {
    /// The HTTP address to listen on (port 0 for an ephemeral one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The jsonmux server to call; none: one in this process.
    #[arg(long)]
    upstream: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();
    let listener = TcpListener::bind(args.listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    gateway::run(
        listener,
        args.upstream.map(Into::into),
        shutdown::shutdown_signal(),
    )
    .await?;
    tracing::info!("drained; bye");
    Ok(())
}
