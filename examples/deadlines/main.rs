//! Deadlines and cancellation between jsonmux peers, measured in one
//! process: how much work a server does for callers that have given up,
//! and whether a chain of services stops when its first caller does.
//!
//! ```sh
//! cargo run --release --example deadlines                     # the extension on (the default)
//! cargo run --release --example deadlines -- --extension off  # both sides as with a Go peer
//! cargo run --release --example deadlines -- --cpu            # handlers that compute, yielding now and then
//! ```
//!
//! * **Abandoned work**: `--calls` calls at once (1000) to handlers that
//!   take `--handler-ms` (500) when callers give up after `--timeout-ms`
//!   (50). A handler *ran after its caller gave up* if it was still at
//!   work `--grace-ms` (10) after the caller's error (time for the cancel
//!   to cross the connection). With `--cpu` the handlers spin in slices of
//!   `--slice-us` (200) and yield between them.
//! * **Chain**: `--chain-calls` calls (100), each to A, whose handler
//!   works 60 ms then calls B, which works 60 ms then calls C; the first
//!   caller waits 100 ms. A call *started work past its deadline* if any
//!   hop began a handler after the first caller's deadline.
//!
//! Prints one line per scenario (and the handler time spent for callers
//! gone), and exits 1 if either count is above 1 % of its calls.

mod abandoned;
mod chain;
mod work;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// The extension, on or off (on both sides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Debug, Parser)]
#[command(about = "Deadlines and cancellation between jsonmux peers, measured")]
struct Args {
    /// The jsonmux extension on both sides: deadlines and cancels cross the wire.
    #[arg(long, value_enum, default_value = "on")]
    extension: Switch,
    /// Calls made at once in the abandoned-work scenario.
    #[arg(long, default_value_t = 1000)]
    calls: usize,
    /// How long each handler works, in milliseconds.
    #[arg(long, default_value_t = 500)]
    handler_ms: u64,
    /// How long each caller waits, in milliseconds.
    #[arg(long, default_value_t = 50)]
    timeout_ms: u64,
    /// A handler still at work this long after its caller gave up ran after it.
    #[arg(long, default_value_t = 10)]
    grace_ms: u64,
    /// Handlers compute (spin) instead of waiting, yielding between slices.
    #[arg(long)]
    cpu: bool,
    /// With --cpu: how long each slice of computing lasts, in microseconds.
    #[arg(long, default_value_t = 200)]
    slice_us: u64,
    /// Calls in the chain scenario.
    #[arg(long, default_value_t = 100)]
    chain_calls: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let on = args.extension == Switch::On;
    let shape = match args.cpu {
        true => work::Shape::Compute {
            slice: Duration::from_micros(args.slice_us),
        },
        false => work::Shape::Wait,
    };
    let abandoned = abandoned::Run {
        extension: on,
        calls: args.calls,
        work: Duration::from_millis(args.handler_ms),
        shape,
        timeout: Duration::from_millis(args.timeout_ms),
        grace: Duration::from_millis(args.grace_ms),
    };
    let (ran_after, spent) = match abandoned.run().await {
        Ok(found) => found,
        Err(e) => return failed(&e),
    };
    println!(
        "abandoned work: {ran_after} of {} handlers ran after their caller gave up \
         ({:.3} s of handler time spent after callers gave up)",
        args.calls,
        spent.as_secs_f64()
    );
    let late = match chain::run(on, args.chain_calls).await {
        Ok(late) => late,
        Err(e) => return failed(&e),
    };
    println!(
        "chain: {late} of {} calls started work past their deadline",
        args.chain_calls
    );
    let too_many = |n: usize, of: usize| n * 100 > of;
    if too_many(ran_after, args.calls) || too_many(late, args.chain_calls) {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn failed(e: &jsonmux::Error) -> ExitCode {
    eprintln!("error: {}", e.report());
    ExitCode::from(2)
}
