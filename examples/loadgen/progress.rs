//! What loadgen shows while the load runs: on stderr, when it is a
//! terminal, a bar with the answers so far, the errors and the current
//! rate; on stdout, with `--interval`, a JSON line of counts per interval
//! (the form for a pipe).

use std::collections::VecDeque;
use std::io::IsTerminal as _;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::time::Instant;

use crate::run::Plan;
use crate::stats::{self, Interval};

/// How often the bar is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(200);

/// The bar's "now" rate counts the answers of this last stretch of time.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Which point of a `--sweep` is running; a single run has none.
#[derive(Clone, Debug)]
pub(crate) struct Tag {
    pub(crate) target: String,
    pub(crate) inflight: usize,
}

/// A bar on stderr for a run of `duration`, if stderr is a terminal.
pub(crate) fn bar(duration: Duration, tag: Option<&Tag>) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let style = ProgressStyle::with_template("{prefix}{elapsed:>4} [{bar:30}] {msg}")
        .expect("a valid template")
        .progress_chars("=> ");
    let bar = ProgressBar::new(duration.as_millis() as u64).with_style(style);
    Some(match tag {
        Some(tag) => bar.with_prefix(format!("{} at {} in flight ", tag.target, tag.inflight)),
        None => bar,
    })
}

/// Prints the counts of each interval as a JSON line.
pub(crate) async fn print_intervals(
    plan: Arc<Plan>,
    start: Instant,
    every: Duration,
    bar: Option<ProgressBar>,
    tag: Option<Tag>,
) {
    let mut tick = tokio::time::interval_at(start + every, every);
    let (mut last_ok, mut last_errors, mut last_t) = (0, 0, 0.0);
    loop {
        tick.tick().await;
        let t = start.elapsed().as_secs_f64();
        let (ok, errors) = (plan.live.ok.load(Relaxed), plan.live.errors.load(Relaxed));
        let line = Interval {
            target: tag.as_ref().map(|tag| tag.target.as_str()),
            inflight: tag.as_ref().map(|tag| tag.inflight),
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

/// Shows progress on stderr while the load runs: answers and errors so
/// far, the rate over the last [`RATE_WINDOW`] and over the whole run.
pub(crate) async fn show_progress(plan: Arc<Plan>, start: Instant, bar: ProgressBar) {
    let mut tick = tokio::time::interval(REDRAW_EVERY);
    // (seconds since start, ok answers then), oldest first, spanning the window.
    let mut recent: VecDeque<(f64, u64)> = VecDeque::new();
    loop {
        tick.tick().await;
        let ms = start.elapsed().as_millis() as u64;
        bar.set_position(ms.min(bar.length().unwrap_or(ms)));
        let (ok, errors) = (plan.live.ok.load(Relaxed), plan.live.errors.load(Relaxed));
        let t = start.elapsed().as_secs_f64();
        recent.push_back((t, ok));
        while recent.len() > 2 && t - recent[1].0 >= RATE_WINDOW.as_secs_f64() {
            recent.pop_front();
        }
        let (t0, ok0) = recent.front().copied().unwrap_or((0.0, 0));
        let now = if t > t0 {
            (ok - ok0) as f64 / (t - t0)
        } else {
            0.0
        };
        let mean = ok as f64 / t;
        bar.set_message(format!(
            "{ok} ok, {errors} errors, {now:.0} req/s now, {mean:.0} req/s mean"
        ));
    }
}
