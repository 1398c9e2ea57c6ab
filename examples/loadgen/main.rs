//! A load generator for any server speaking the seed's wire: keeps
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
//! microseconds. A progress bar goes to stderr when it is a
//! terminal. After `--duration`, answers still outstanding get
//! `min(--timeout, 2s)`; those that miss it count as `unfinished` errors.
//! Ctrl-C ends the run early the same way (a second one cuts the drain
//! short) and the results are still printed. Exits 0 if at least one answer
//! was ok and nothing failed, else 1.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use jsonmux::Message;
use tokio::task::JoinHandle;
use tokio::task::JoinSet;
use tokio::time::Instant;

#[path = "../common/client_tls.rs"]
mod client_tls;
#[path = "../common/engine.rs"]
mod engine;
#[path = "../../benches/support/raw.rs"]
mod raw;
mod ready;
mod stats;
mod target;

use engine::EngineArg;
use stats::{Failure, Interval, Live, Report, Setup, Tally};
use target::{ClientKind, Target};

/// The most time answers still outstanding at the end get.
const MAX_DRAIN: Duration = Duration::from_secs(2);

/// What the server must put before the request's `Val`.
const PREFIX: &str = "server: hello, ";

/// Load generator for the seed's JSON-over-TCP wire.
#[derive(Debug, Parser)]
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
}

/// What every worker needs to know.
struct Plan {
    val: String,
    /// The `Val` a correct answer carries.
    expected: String,
    /// Set at the end of `--duration` (or on Ctrl-C): issue no more requests.
    stop: AtomicBool,
    live: Live,
}

/// Issues requests one after another until told to stop (or until its
/// connection is dead for good).
///
/// Outcomes go to `tally` as they come (its lock is never contended), so
/// nothing is lost when the worker is aborted at the end of the drain.
async fn worker(mut target: Target, id: usize, plan: Arc<Plan>, tally: Arc<Mutex<Tally>>) {
    let mut seq = 0u64;
    while !plan.stop.load(Relaxed) {
        let uid = format!("w{id}-{seq}");
        seq += 1;
        let msg = Message::new(uid.clone(), plan.val.clone());
        plan.live.sent.fetch_add(1, Relaxed);
        let start = Instant::now();
        let outcome = match target.call(msg).await {
            Ok(resp) if resp.uid == uid && resp.val == plan.expected => Ok(()),
            Ok(resp) => Err(Failure::wrong_answer(&uid, &resp)),
            Err(failure) => Err(failure),
        };
        let mut tally = tally.lock().expect("only a panic poisons it");
        match outcome {
            Ok(()) => {
                tally.record_ok(start.elapsed());
                plan.live.ok.fetch_add(1, Relaxed);
            }
            Err(failure) => {
                tally.record_error(failure, start.elapsed());
                plan.live.errors.fetch_add(1, Relaxed);
                if target.is_dead() {
                    break;
                }
            }
        }
    }
}

/// Prints the counts of each interval as a JSON line.
async fn print_intervals(
    plan: Arc<Plan>,
    start: Instant,
    every: Duration,
    bar: Option<ProgressBar>,
) {
    let mut tick = tokio::time::interval_at(start + every, every);
    let (mut last_ok, mut last_errors, mut last_t) = (0, 0, 0.0);
    loop {
        tick.tick().await;
        let t = start.elapsed().as_secs_f64();
        let (ok, errors) = (plan.live.ok.load(Relaxed), plan.live.errors.load(Relaxed));
        let line = Interval {
            t_s: stats::round3(t),
            ok: ok - last_ok,
            errors: errors - last_errors,
            rps: stats::round3((ok - last_ok) as f64 / (t - last_t)),
        };
        let line = serde_json::to_string(&line).expect("a line serializes");
        match &bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
        (last_ok, last_errors, last_t) = (ok, errors, t);
    }
}

/// Shows progress on stderr while the load runs.
async fn show_progress(plan: Arc<Plan>, start: Instant, bar: ProgressBar) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        let ms = start.elapsed().as_millis() as u64;
        bar.set_position(ms.min(bar.length().unwrap_or(ms)));
        let (ok, errors) = (plan.live.ok.load(Relaxed), plan.live.errors.load(Relaxed));
        let rps = ok as f64 / start.elapsed().as_secs_f64();
        bar.set_message(format!("{ok} ok, {errors} errors, {rps:.0} req/s"));
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // Client i gets an equal share of the in-flight requests (the
    // remainder goes to the first ones) and address i mod len; a pool is
    // one client over every address.
    let clients = if args.client == ClientKind::Pool {
        1
    } else {
        args.conns
    };
    if args.conns == 0 || args.inflight < clients || args.addr.is_empty() {
        eprintln!(
            "loadgen: need --conns >= 1, --inflight >= --conns (>= 1 for a pool) and an --addr"
        );
        return ExitCode::from(2);
    }
    let share = |i: usize| args.inflight / clients + usize::from(i < args.inflight % clients);
    let mut targets = Vec::with_capacity(clients);
    let deadline = Instant::now() + args.startup_timeout.unwrap_or(args.timeout);
    for i in 0..clients {
        let addrs = match args.client {
            ClientKind::Pool => &args.addr[..],
            _ => std::slice::from_ref(&args.addr[i % args.addr.len()]),
        };
        let addr = addrs.join(",");
        match Target::connect(&args, addrs, share(i), deadline).await {
            Ok(t) => targets.push(t),
            Err(e) => {
                eprintln!("loadgen: cannot connect to {addr}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }

    let val: String = (b'a'..=b'z')
        .cycle()
        .take(args.val_size)
        .map(char::from)
        .collect();
    let start = Instant::now();
    let plan = Arc::new(Plan {
        expected: format!("{PREFIX}{val}"),
        val,
        stop: AtomicBool::new(false),
        live: Live::default(),
    });
    let mut workers = JoinSet::new();
    let mut tallies = Vec::with_capacity(args.inflight);
    for (i, target) in targets.iter().enumerate() {
        for _ in 0..share(i) {
            let tally = Arc::new(Mutex::new(Tally::new()));
            let work = worker(target.clone(), tallies.len(), plan.clone(), tally.clone());
            workers.spawn(work);
            tallies.push(tally);
        }
    }
    let bar = std::io::stderr().is_terminal().then(|| {
        let style = ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {msg}")
            .expect("a valid template")
            .progress_chars("=> ");
        ProgressBar::new(args.duration.as_millis() as u64).with_style(style)
    });
    let mut side_tasks = Vec::new();
    if let Some(bar) = &bar {
        side_tasks.push(tokio::spawn(show_progress(
            plan.clone(),
            start,
            bar.clone(),
        )));
    }
    if let Some(every) = args.interval {
        let task = print_intervals(plan.clone(), start, every, bar.clone());
        side_tasks.push(tokio::spawn(task));
    }

    // Run for --duration (or until Ctrl-C), then let the workers finish the
    // requests they have out, for at most the drain time (or until a
    // second Ctrl-C); abort what is left.
    tokio::select! {
        _ = tokio::time::sleep_until(start + args.duration) => {}
        _ = tokio::signal::ctrl_c() => eprintln!("loadgen: interrupted; draining"),
    }
    plan.stop.store(true, Relaxed);
    let drain = async {
        while let Some(done) = workers.join_next().await {
            done.expect("a worker panicked");
        }
    };
    tokio::select! {
        _ = tokio::time::timeout(args.timeout.min(MAX_DRAIN), drain) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    workers.shutdown().await;
    let elapsed = start.elapsed();

    let mut total = Tally::new();
    for tally in tallies {
        let tally = Arc::into_inner(tally).expect("every worker is gone");
        total.merge(tally.into_inner().expect("only a panic poisons it"));
    }
    let live = &plan.live;
    let unfinished = live.sent.load(Relaxed) - live.ok.load(Relaxed) - live.errors.load(Relaxed);
    total.record_unfinished(unfinished);
    side_tasks.iter().for_each(JoinHandle::abort);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

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
    let report = Report::new(setup, elapsed, plan.live.sent.load(Relaxed), &total);
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
