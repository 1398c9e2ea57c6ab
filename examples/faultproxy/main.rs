//! A fault-injecting TCP proxy for loopback: put it between a jsonmux
//! client and server to add latency, cap bandwidth, stall, reset or drop
//! connections, in either direction (`up`: client to server, `down`:
//! server to client). Prints `listening on <addr>` once bound; on Ctrl-C or
//! SIGTERM prints what it did on stderr and exits 0. SIGUSR1 turns a stall
//! of both directions on and off.
//!
//! ```sh
//! cargo run --release --example faultproxy -- --listen 127.0.0.1:0 --upstream 127.0.0.1:3000 \
//!     --both latency=50ms,jitter=10ms                  # 50 ms ± 10 each way
//! cargo run --release --example faultproxy -- --upstream 127.0.0.1:3000 \
//!     --up reset-after=100000 --down bandwidth=1000000,stall=1s/5s
//! cargo run --release --example faultproxy -- --upstream 127.0.0.1:3000 --refuse
//! ```
//!
//! A fault spec is a comma-separated list of `latency=<dur>`,
//! `jitter=<dur>`, `bandwidth=<bytes/s>`, `stall=<dur>/<every>`, `stalled`,
//! `reset-after=<bytes>` and `close-after=<bytes>`; durations are written
//! `250us`, `50ms` or `2s`. `--both` applies first, then `--up` and `--down`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use proxy::{Direction, FaultProxy, Faults, Stall};

mod proxy;

/// Forwards TCP from --listen to --upstream, with faults.
#[derive(Debug, Parser)]
struct Args {
    /// Loopback address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Loopback address to forward to.
    #[arg(long)]
    upstream: SocketAddr,
    /// Faults for both directions.
    #[arg(long, default_value = "")]
    both: String,
    /// Faults for client to server (after --both).
    #[arg(long, default_value = "")]
    up: String,
    /// Faults for server to client (after --both).
    #[arg(long, default_value = "")]
    down: String,
    /// Accept each connection and close it at once.
    #[arg(long)]
    refuse: bool,
    /// Close each connection after a random time below this (e.g. 2s).
    #[arg(long, value_parser = parse_duration)]
    close_within: Option<Duration>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut faults = Faults {
        refuse: args.refuse,
        close_within: args.close_within,
        ..Faults::default()
    };
    let specs = [
        (&args.both, true, true),
        (&args.up, true, false),
        (&args.down, false, true),
    ];
    for (spec, up, down) in specs {
        let applied = [(up, &mut faults.up), (down, &mut faults.down)]
            .into_iter()
            .filter(|(on, _)| *on)
            .try_for_each(|(_, dir)| apply(dir, spec));
        if let Err(e) = applied {
            eprintln!("faultproxy: bad fault spec {spec:?}: {e}");
            return ExitCode::from(2);
        }
    }
    let (addr, proxy) = match FaultProxy::start_on(args.listen, args.upstream, faults).await {
        Ok(started) => started,
        Err(e) => {
            eprintln!("faultproxy: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {addr}");
    // Whoever started us may be waiting for that line on a pipe.
    let _ = std::io::stdout().flush();
    eprintln!(
        "faultproxy: {addr} -> {}: {:?}",
        args.upstream,
        proxy.faults()
    );

    let mut stall = signal(tokio::signal::unix::SignalKind::user_defined1());
    let mut term = signal(tokio::signal::unix::SignalKind::terminate());
    loop {
        tokio::select! {
            _ = stall.recv() => proxy.update(|f| {
                f.up.stalled = !f.up.stalled;
                f.down.stalled = f.up.stalled;
                eprintln!("faultproxy: stalled: {}", f.up.stalled);
            }),
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    proxy.stop();
    eprintln!("faultproxy: {:?}", proxy.counts());
    ExitCode::SUCCESS
}

fn signal(kind: tokio::signal::unix::SignalKind) -> tokio::signal::unix::Signal {
    tokio::signal::unix::signal(kind).expect("signal handlers can be installed")
}

/// Applies a fault spec (see the module docs) to one direction.
fn apply(dir: &mut Direction, spec: &str) -> Result<(), String> {
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item.split_once('=').unwrap_or((item, ""));
        let bytes = || value.parse::<u64>().map_err(|e| format!("{item}: {e}"));
        match key {
            "latency" => dir.latency = parse_duration(value)?,
            "jitter" => dir.jitter = parse_duration(value)?,
            "bandwidth" => dir.bandwidth = Some(bytes()?),
            "reset-after" => dir.reset_after = Some(bytes()?),
            "close-after" => dir.close_after = Some(bytes()?),
            "stalled" => dir.stalled = true,
            "stall" => {
                let (duration, every) = value.split_once('/').ok_or("stall=<dur>/<every>")?;
                let (duration, every) = (parse_duration(duration)?, parse_duration(every)?);
                dir.stall = Some(Stall { every, duration });
            }
            _ => return Err(format!("unknown fault {key:?}")),
        }
    }
    Ok(())
}

/// Parses `250us`, `50ms` or `2s`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("not a duration: {s:?}"))?;
    match &s[digits.len()..] {
        "us" => Ok(Duration::from_micros(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        _ => Err(format!("not a duration: {s:?} (use us, ms or s)")),
    }
}
