//! What loadgen shows while the load runs: on stderr, when it is a
//! terminal, a bar with the answers so far; on stdout, with `--interval`,
//! a JSON line of counts per interval.

use std::io::IsTerminal as _;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::time::Instant;

use crate::run::Plan;
use crate::stats::{self, Interval};

/// A bar on stderr for a run of `duration`, if stderr is a terminal.
pub(crate) fn bar(duration: Duration) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let style = ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {msg}")
            .expect("a valid template")
            .progress_chars("=> ");
        ProgressBar::new(duration.as_millis() as u64).with_style(style)
    })
}

/// Prints the counts of each interval as a JSON line.
pub(crate) async fn print_intervals(
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
pub(crate) async fn show_progress(plan: Arc<Plan>, start: Instant, bar: ProgressBar) {
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
