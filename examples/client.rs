//! The Go client's test: two requests with `Uid` "pixel-1", one after the
//! other on one connection, each answer printed as `<Ts>: <Val>`.
//!
//! Exits 0 only if both answers are the expected ones, so it doubles as a
//! check against any server that speaks the protocol (ours or the Go one).
//!
//! `--addr` is `host:port` or `unix:/path`; `--tls-ca` (with
//! `--features tls`) speaks TLS, `--tls-cert`/`--tls-key` add a client
//! certificate for mutual TLS.
//!
//! ```sh
//! cargo run --release --example server &
//! cargo run --release --example client -- --addr 127.0.0.1:3000 --timeout 5
//! cargo run --release --example client -- --addr 127.0.0.1:3000 --engine tokio-tower
//! cargo run --release --features tls --example client -- --addr 127.0.0.1:3443 \
//!     --tls-ca /tmp/jsonmux-certs/ca.pem \
//!     --tls-cert /tmp/jsonmux-certs/client.pem --tls-key /tmp/jsonmux-certs/client.key
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use jsonmux::{Client, ClientBuilder, Error, Message};
use tower::{Service, ServiceExt};

#[path = "common/client_tls.rs"]
mod client_tls;

#[path = "common/engine.rs"]
mod engine;

use client_tls::ClientTlsArgs;
use engine::EngineArg;

/// Runs the Go client's two-request test against a server.
#[derive(Debug, Parser)]
struct Args {
    /// Server address: host:port, or unix:/path.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// Deadline for each request, in seconds.
    #[arg(long, default_value = "5", value_parser = parse_secs)]
    timeout: Duration,
    /// What drives the connection.
    #[arg(long, value_enum, default_value_t = EngineArg::Jsonmux)]
    engine: EngineArg,
    #[command(flatten)]
    tls: ClientTlsArgs,
}

/// The Go client's test: (request `Val`, expected answer `Val`), all with one `Uid`.
const UID: &str = "pixel-1";
const CASES: [(&str, &str); 2] = [
    ("pixelpig!", "server: hello, pixelpig!"),
    ("another pig!", "server: hello, another pig!"),
];

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {}", e.report());
            ExitCode::FAILURE
        }
    }
}

/// Sends the two requests in turn; `Ok(false)` if an answer is not the expected one.
async fn run(args: &Args) -> Result<bool, Error> {
    // The Go client's test runs on one connection; the client pools 3 by default.
    let builder = ClientBuilder::new()
        .engine(args.engine.into())
        .pool_size(1)
        .request_timeout(Some(args.timeout));
    let builder = match args.tls.apply(builder) {
        Ok(builder) => builder,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(false);
        }
    };
    let mut client: Client = builder.connect(&args.addr).await?;
    let mut all_ok = true;
    for (val, want) in CASES {
        let resp = client.ready().await?.call(Message::new(UID, val)).await?;
        println!("{}: {}", resp.ts, resp.val);
        if resp.uid != UID || resp.val != want {
            eprintln!(
                "unexpected answer to {val:?}: got uid {:?} val {:?}, want uid {UID:?} val {want:?}",
                resp.uid, resp.val
            );
            all_ok = false;
        }
    }
    Ok(all_ok)
}

/// Parses seconds as a float ("5", "0.25") into a `Duration`.
fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{e}"))
}
