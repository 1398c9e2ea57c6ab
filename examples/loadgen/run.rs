//! One run of the load: connect the clients, keep `--inflight` requests
//! outstanding for `--duration`, drain, and add up what every worker saw.
//! A single run is one of these; a `--sweep` is one per point.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonmux::Message;
use tokio::task::JoinHandle;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::progress::{self, Tag};
use crate::stats::{Failure, Live, Tally};
use crate::target::{ClientKind, PoolCounts, Target};
use crate::Args;

/// The most time answers still outstanding at the end get.
const MAX_DRAIN: Duration = Duration::from_secs(2);

/// What the server must put before the request's `Val`.
const PREFIX: &str = "server: hello, ";

/// What every worker needs to know.
pub(crate) struct Plan {
    val: String,
    /// The `Val` a correct answer carries.
    expected: String,
    /// Set at the end of `--duration` (or on Ctrl-C): issue no more requests.
    stop: AtomicBool,
    /// Mark every call idempotent (`--hedge`).
    idempotent: bool,
    pub(crate) live: Live,
}

/// What one run saw.
#[derive(Debug)]
pub(crate) struct Run {
    /// Every worker's outcomes, requests left unanswered counted as errors.
    pub(crate) total: Tally,
    /// From the first request to the last outcome, drain included.
    pub(crate) elapsed: Duration,
    pub(crate) sent: u64,
    /// Ctrl-C ended the run before `--duration`.
    pub(crate) interrupted: bool,
    /// What the jsonmux clients did beyond sending each call once.
    pub(crate) pool: Option<PoolCounts>,
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
        let msg = if plan.idempotent {
            msg.idempotent()
        } else {
            msg
        };
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

/// How many clients a run opens: one per connection, or one pool.
fn clients(args: &Args) -> usize {
    if args.client == ClientKind::Pool {
        1
    } else {
        args.conns
    }
}

/// Checks that `args` describe a run that can start.
pub(crate) fn check(args: &Args) -> Result<(), String> {
    if args.conns == 0 || args.inflight < clients(args) || args.addr.is_empty() {
        return Err(
            "need --conns >= 1, --inflight >= --conns (>= 1 for a pool) and an --addr".into(),
        );
    }
    Ok(())
}

/// Runs the load `args` describe; `tag` names the point of a sweep (on the
/// bar and on the `--interval` lines).
///
/// # Errors
///
/// The exit code, once the reason is on stderr: 2 for `args` that
/// [`check`] refuses, 1 for a client that cannot connect.
pub(crate) async fn run(args: &Args, tag: Option<Tag>) -> Result<Run, ExitCode> {
    if let Err(e) = check(args) {
        eprintln!("loadgen: {e}");
        return Err(ExitCode::from(2));
    }
    // Client i gets an equal share of the in-flight requests (the
    // remainder goes to the first ones) and address i mod len; a pool is
    // one client over every address.
    let clients = clients(args);
    let share = |i: usize| args.inflight / clients + usize::from(i < args.inflight % clients);
    let mut targets = Vec::with_capacity(clients);
    let deadline = Instant::now() + args.startup_timeout.unwrap_or(args.timeout);
    for i in 0..clients {
        let addrs = match args.client {
            ClientKind::Pool => &args.addr[..],
            _ => std::slice::from_ref(&args.addr[i % args.addr.len()]),
        };
        let addr = addrs.join(",");
        match Target::connect(args, addrs, share(i), deadline).await {
            Ok(t) => targets.push(t),
            Err(e) => {
                eprintln!("loadgen: cannot connect to {addr}: {e}");
                return Err(ExitCode::FAILURE);
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
        idempotent: args.hedge.is_some(),
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
    let bar = progress::bar(args.duration, tag.as_ref());
    let mut side_tasks = Vec::new();
    if let Some(bar) = &bar {
        let task = progress::show_progress(plan.clone(), start, bar.clone());
        side_tasks.push(tokio::spawn(task));
    }
    if let Some(every) = args.interval {
        let task = progress::print_intervals(plan.clone(), start, every, bar.clone(), tag);
        side_tasks.push(tokio::spawn(task));
    }

    // Run for --duration (or until Ctrl-C), then let the workers finish the
    // requests they have out, for at most the drain time (or until a
    // second Ctrl-C); abort what is left.
    let mut interrupted = false;
    tokio::select! {
        _ = tokio::time::sleep_until(start + args.duration) => {}
        _ = tokio::signal::ctrl_c() => {
            eprintln!("loadgen: interrupted; draining");
            interrupted = true;
        }
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
    let sent = live.sent.load(Relaxed);
    total.record_unfinished(sent - live.ok.load(Relaxed) - live.errors.load(Relaxed));
    side_tasks.iter().for_each(JoinHandle::abort);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let pool = targets
        .iter()
        .filter_map(Target::pool_counts)
        .reduce(|a, b| a + b);
    Ok(Run {
        total,
        elapsed,
        sent,
        interrupted,
        pool,
    })
}
