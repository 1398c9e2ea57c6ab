//! A load generator for any server speaking the Go peers' wire: keeps
//! `--inflight` requests outstanding over `--conns` connections for
//! `--duration`, checks every answer, and prints one JSON line of results.
//!
//! ```sh
//! cargo run --release --example server -- --addr 127.0.0.1:3000 &
//! cargo run --release --example loadgen -- --addr 127.0.0.1:3000 --inflight 256 --duration 3s
//! cargo run --release --example loadgen -- --addr 127.0.0.1:3000 --inflight 256 --duration 3s --client raw
//! cargo run --release --example loadgen -- --addr 127.0.0.1:3000 --inflight 256 --engine tokio-tower --buffer 1024
//! cargo run --release --example loadgen -- --addr 127.0.0.1:3000,127.0.0.1:3001 --conns 4 --interval 1s
//! cargo run --release --example loadgen -- --addr unix:/tmp/jsonmux.sock --inflight 256
//! cargo run --release --features tls --example loadgen -- --addr 127.0.0.1:3443 --inflight 256 \
//!     --tls-ca /tmp/jsonmux-certs/ca.pem \
//!     --tls-cert /tmp/jsonmux-certs/client.pem --tls-key /tmp/jsonmux-certs/client.key
//! cargo run --release --example loadgen -- --addr 127.0.0.1:3000 --sweep 1,4,16,64,256 --duration 2s
//! cargo run --release --example loadgen -- --sweep 1,4,16,64,256 --duration 2s \
//!     --target jsonmux=127.0.0.1:3000 --target pair=127.0.0.1:3001,127.0.0.1:3002 \
//!     --target unix=unix:/tmp/jsonmux.sock --svg /tmp/jsonmux-charts --histogram-depth 64
//! ```
//!
//! `--addr` takes `host:port` or `unix:/path`; `--tls-ca` (with
//! `--features tls`) speaks TLS to the server, `--tls-cert`/`--tls-key`
//! show it a client certificate, `--tls-server-name` checks its
//! certificate against that name instead of the host dialed.
//!
//! Each request is `{"Uid":"w<worker>-<seq>","Val":<--val-size bytes>}`; an
//! answer counts as ok only if its `Uid` is the request's and its `Val` is
//! `"server: hello, " + Val`. Three clients can drive the load:
//!
//! * `--client stack` (default): per connection, a [`jsonmux::Client`] with
//!   a pool of one connection, a request timeout and a concurrency limit of
//!   that connection's share of `--inflight`. `--engine` picks what drives
//!   each connection ([`jsonmux::ClientBuilder::engine`]), `--buffer N`
//!   puts tower's `Buffer` in the stack ([`jsonmux::ClientBuilder::buffer`]).
//! * `--client pool`: one [`jsonmux::Client`] whose pool holds all
//!   `--conns` connections (spread over the addresses), shared by every
//!   worker: how an application would use it. `--pack-up-to N` sets
//!   [`jsonmux::ClientBuilder::pack_up_to`].
//! * `--client raw`: the hand-written baseline in `benches/support/raw.rs`
//!   (a writer task, a reader task and a map of oneshots per connection).
//! * `--client dial`: every call dials a connection of its own (and makes
//!   its TLS handshake), makes the one call and closes it: `rps` is then
//!   connections set up per second.
//!
//! The load starts once every connection is up (a stack's, a pool's, the
//! raw client's). That wait ends at `--startup-timeout` (default:
//! `--timeout`): past it, loadgen says what failed (e.g. `pool not ready
//! after 5s: 1/3 connections up, last error: connection closed: closed by the peer`)
//! and exits 1.
//!
//! Output on stdout: with `--interval`, one line per interval,
//! `{"t_s":..,"ok":..,"errors":..,"rps":..}` (counts for that interval);
//! at the end, one line with the totals, `errors_by_kind`, latency
//! percentiles of ok answers and the slowest failure (`error_max_us`), in
//! microseconds. When stderr is a terminal, a progress bar there shows the
//! answers and errors so far and the rate over the last second and over
//! the run; piped, there is no bar (the `--interval` lines are the piped
//! form). After `--duration`, answers still outstanding get
//! `min(--timeout, 2s)`; those that miss it count as `unfinished` errors.
//! Ctrl-C ends the run early the same way (a second one cuts the drain
//! short) and the results are still printed. Exits 0 if at least one answer
//! was ok and nothing failed, else 1.
//!
//! `--sweep 1,4,16,64,256` runs the load once per in-flight depth, each run
//! `--duration` long on connections of its own, against each `--target
//! LABEL=ADDR` (repeatable, ADDR as `--addr` takes it; without one,
//! `--addr` is the one target), every target at one depth before the next
//! depth. Each (target, depth) point prints one line on stdout,
//! `{"target":..,"inflight":..,"rps":..,"p50_us":..,"p99_us":..,"p999_us":..,"ok":..,"errors":..}`
//! (latency of ok answers, in microseconds), and the `--interval` lines of
//! a sweep carry `target` and `inflight` first. `--svg DIR` then writes
//! `DIR/throughput-latency.svg` (latency against throughput, median and
//! p99 per target, each point labelled with its depth) and
//! `DIR/latency-histogram.svg` (how the latency of ok answers spreads at
//! the largest depth, or at `--histogram-depth N`); `scripts/plots.sh` draws
//! them for the servers of this repository. Ctrl-C ends a sweep after the
//! point it cuts short, and the charts are drawn from the points done. A
//! sweep exits 0 if every point had ok answers and nothing failed, else 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

#[path = "../common/client_tls.rs"]
mod client_tls;
#[path = "../common/engine.rs"]
mod engine;
mod plot;
mod progress;
#[path = "../../benches/support/raw.rs"]
mod raw;
mod ready;
mod run;
mod stats;
mod sweep;
mod target;

use engine::EngineArg;
use stats::{Report, Setup};
use target::ClientKind;

/// Load generator for the JSON-over-TCP wire of the Go peers.
#[derive(Clone, Debug, Parser)]
struct Args {
    /// Server address; a comma-separated list spreads connections over them round-robin.
    #[arg(long, default_value = "127.0.0.1:3000", value_delimiter = ',')]
    addr: Vec<String>,
    /// Connections to open.
    #[arg(long, default_value_t = 1)]
    conns: usize,
    /// Requests outstanding at any time, in total, split across connections.
    #[arg(long, default_value_t = 64)]
    inflight: usize,
    /// How long to issue requests (e.g. 3s, 500ms, 1m).
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    duration: Duration,
    /// Bytes of `Val` in each request.
    #[arg(long, default_value_t = 16)]
    val_size: usize,
    /// Which client drives the load.
    #[arg(long, value_enum, default_value_t = ClientKind::Stack)]
    client: ClientKind,
    /// Print a JSON line with the counts every so often (e.g. 1s).
    #[arg(long, value_parser = parse_duration)]
    interval: Option<Duration>,
    /// Deadline of each request (and of each dial).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    timeout: Duration,
    /// Longest wait for the connections to be up before the load starts
    /// (default: --timeout); past it the run reports what failed and exits 1.
    #[arg(long, value_parser = parse_duration)]
    startup_timeout: Option<Duration>,
    /// `--client pool`: fill one connection up to this many in flight
    /// before using the next (default: least-loaded).
    #[arg(long)]
    pack_up_to: Option<usize>,
    /// `--client stack|pool`: busy-poll each connection this many
    /// microseconds for answers before it sleeps (ClientBuilder::busy_poll).
    #[arg(long, default_value_t = 0)]
    busy_poll_us: u64,
    #[command(flatten)]
    tls: client_tls::ClientTlsArgs,
    /// `--client stack|pool`: what drives each connection.
    #[arg(long, value_enum, default_value_t = EngineArg::Jsonmux)]
    engine: EngineArg,
    /// `--client stack|pool`: put tower's `Buffer` holding this many calls
    /// in the stack, in front of the concurrency limit (default: none).
    #[arg(long)]
    buffer: Option<usize>,
    /// `--client stack|pool|dial`: speak jsonmux's extension with a jsonmux
    /// server (request numbers and deadlines on the wire, cancels).
    #[arg(long, value_enum, default_value_t = Switch::On)]
    extension: Switch,
    /// `--client stack|pool`: send again, within a budget of a fifth of
    /// the calls, the calls a server answered without running them
    /// (ClientBuilder::retry_budget); `off` leaves them failed.
    #[arg(long, value_enum, default_value_t = Switch::On)]
    retries: Switch,
    /// `--client pool`: mark every call idempotent and hedge it: a copy on
    /// another endpoint after this delay (e.g. 2ms), or once slower than
    /// this percentile of recent calls (e.g. p95) (ClientBuilder::hedge).
    #[arg(long, value_parser = parse_hedge)]
    hedge: Option<jsonmux::pool::Hedge>,
    /// Run the load once per in-flight depth of this list (e.g.
    /// 1,4,16,64,256), each for --duration, and print one JSON line per
    /// target and depth.
    #[arg(long, value_delimiter = ',')]
    sweep: Vec<usize>,
    /// `--sweep`: a server to drive, as LABEL=ADDR (ADDR as --addr takes
    /// it); repeat for several (default: --addr, labelled by itself).
    #[arg(long, requires = "sweep", value_parser = sweep::parse_target)]
    target: Vec<sweep::Labelled>,
    /// `--sweep`: write throughput-latency.svg and latency-histogram.svg
    /// into this directory (made if missing).
    #[arg(long, requires = "sweep")]
    svg: Option<PathBuf>,
    /// `--sweep --svg`: the depth whose latency distribution is drawn
    /// (default: the largest swept).
    #[arg(long, requires = "svg")]
    histogram_depth: Option<usize>,
}

/// An option on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Switch {
    On,
    Off,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.sweep.is_empty() {
        return sweep::sweep(&args).await;
    }
    let run::Run {
        total,
        elapsed,
        sent,
        pool,
        ..
    } = match run::run(&args, None).await {
        Ok(run) => run,
        Err(code) => return code,
    };

    total.print_error_samples();
    let setup = Setup {
        client: match args.client {
            ClientKind::Stack => "stack",
            ClientKind::Pool => "pool",
            ClientKind::Raw => "raw",
            ClientKind::Dial => "dial",
        },
        engine: clap::ValueEnum::to_possible_value(&args.engine)
            .expect("every engine has a name")
            .get_name()
            .to_owned(),
        buffer: args.buffer,
        addr: &args.addr,
        conns: args.conns,
        inflight: args.inflight,
        val_size: args.val_size,
    };
    let report = Report::new(setup, elapsed, sent, &total, pool);
    println!(
        "{}",
        serde_json::to_string(&report).expect("a report serializes")
    );
    if report.ok > 0 && report.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Parses `p95` (a percentile) or a duration as [`parse_duration`] does.
fn parse_hedge(s: &str) -> Result<jsonmux::pool::Hedge, String> {
    match s.strip_prefix('p') {
        Some(p) => p
            .parse()
            .map(jsonmux::pool::Hedge::at_percentile)
            .map_err(|_| format!("not a percentile: {s:?} (try p95)")),
        None => parse_duration(s).map(jsonmux::pool::Hedge::after),
    }
}

/// Parses `3s`, `500ms`, `250us`, `1m`, `1.5s` or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (try 3s or 500ms)"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1e3,
        "us" | "µs" => n / 1e6,
        "m" | "min" => n * 60.0,
        other => return Err(format!("unknown unit {other:?} (use us, ms, s or m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}
