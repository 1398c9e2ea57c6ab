//! The Go server's service over jsonmux: answers every request with
//! `"server: hello, " + Val`.
//!
//! Binds `--addr` (`host:port`, or `unix:/path` for a Unix socket),
//! prints `listening on <addr>` once bound, serves [`HelloService`] until
//! Ctrl-C or SIGTERM, then drains the requests in flight and exits 0.
//! With `--tls-cert` and `--tls-key` it speaks TLS (build with
//! `--features tls`), and with `--client-ca` it requires client
//! certificates from that CA (mutual TLS); `examples/certs.rs` makes a set.
//!
//! ```sh
//! cargo run --release --example server -- --addr 127.0.0.1:3000
//! cargo run --release --example server -- --addr unix:/tmp/jsonmux.sock
//! cargo run --release --example server -- --engine tokio-tower   # tokio-tower's multiplex::Server
//! RUST_LOG=jsonmux=debug cargo run --release --example server   # log each connection
//! cargo run --release --features tls --example certs -- --out /tmp/jsonmux-certs
//! cargo run --release --features tls --example server -- --addr 127.0.0.1:3443 \
//!     --tls-cert /tmp/jsonmux-certs/server.pem --tls-key /tmp/jsonmux-certs/server.key \
//!     --client-ca /tmp/jsonmux-certs/ca.pem
//! ```

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use std::time::{Duration, Instant};

use clap::Parser;
use jsonmux::{HelloService, Server, ServerBuilder};
use tower::util::{AndThenLayer, MapRequestLayer};
use tower::ServiceBuilder;
use tracing_subscriber::EnvFilter;

#[path = "common/engine.rs"]
mod engine;
#[path = "common/server_tls.rs"]
mod server_tls;
#[path = "common/shutdown.rs"]
mod shutdown;

use engine::EngineArg;
use server_tls::ServerTlsArgs;

/// Serves the Go server's hello service over jsonmux.
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free one), or unix:/path.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// What drives each connection: jsonmux's own driver, or tokio-tower's
    /// multiplex::Server (ServerBuilder::engine).
    #[arg(long, value_enum, default_value_t = EngineArg::Jsonmux)]
    engine: EngineArg,
    /// Largest request accepted, in bytes (default: 1 MiB).
    #[arg(long)]
    max_frame_len: Option<usize>,
    /// Most requests handled at once per connection (default: 1024).
    #[arg(long)]
    max_in_flight: Option<usize>,
    /// Keep the CPU busy this many microseconds per request before
    /// answering: a stand-in for a handler with real work, for benchmarks.
    #[arg(long, default_value_t = 0)]
    busy_us: u64,
    /// Wait (a timer, not the CPU) this many microseconds per request
    /// before answering: a stand-in for a handler that waits on a database
    /// or another service.
    #[arg(long, default_value_t = 0)]
    wait_us: u64,
    /// Most requests handled at once over all connections; past it,
    /// requests are answered `overloaded` at once (ServerBuilder::
    /// max_concurrent_requests; default: no limit).
    #[arg(long)]
    max_concurrent: Option<usize>,
    /// Busy-poll each idle connection this many microseconds before it
    /// sleeps, for latency at light load (ServerBuilder::busy_poll; 0: off).
    #[arg(long, default_value_t = 0)]
    busy_poll_us: u64,
    #[command(flatten)]
    tls: ServerTlsArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let builder = match options(&args) {
        Ok(builder) => builder,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match builder.bind(&args.addr).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    match server.endpoint() {
        Ok(addr) => println!("listening on {addr}"),
        Err(e) => {
            eprintln!("error: cannot read the bound address: {e}");
            return ExitCode::FAILURE;
        }
    }
    // Whoever started us may be waiting for that line on a pipe.
    let _ = std::io::stdout().flush();

    let busy = (args.busy_us > 0).then(|| Duration::from_micros(args.busy_us));
    let svc = ServiceBuilder::new()
        .option_layer(busy.map(|busy| {
            MapRequestLayer::new(move |msg| {
                let start = Instant::now();
                while start.elapsed() < busy {
                    std::hint::spin_loop();
                }
                msg
            })
        }))
        .service(HelloService);
    // A handler that waits is another type: the plain one pays nothing for it.
    match args.wait_us {
        0 => serve(server, svc).await,
        us => {
            let wait = Duration::from_micros(us);
            let waits = AndThenLayer::new(move |resp| async move {
                tokio::time::sleep(wait).await;
                Ok::<_, std::convert::Infallible>(resp)
            });
            serve(server, ServiceBuilder::new().layer(waits).service(svc)).await
        }
    }
}

/// Serves `svc` until Ctrl-C or SIGTERM, then drains.
async fn serve<S>(server: Server, svc: S) -> ExitCode
where
    S: tower::Service<jsonmux::Message, Response = jsonmux::Resp> + Clone + Send + 'static,
    S::Error: Into<tower::BoxError>,
    S::Future: Send + 'static,
{
    match server.serve(svc, shutdown::shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("drained; bye");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The server's options, from the command line.
fn options(args: &Args) -> Result<ServerBuilder, String> {
    let mut builder = Server::builder().engine(args.engine.into());
    if let Some(bytes) = args.max_frame_len {
        builder = builder.max_frame_len(bytes);
    }
    if let Some(n) = args.max_in_flight {
        builder = builder.max_in_flight(n);
    }
    if let Some(n) = args.max_concurrent {
        builder = builder.max_concurrent_requests(Some(n));
    }
    if args.busy_poll_us > 0 {
        builder = builder.busy_poll(Some(Duration::from_micros(args.busy_poll_us)));
    }
    args.tls.apply(builder)
}
