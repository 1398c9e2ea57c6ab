//! Counting outcomes: live counters, per-worker tallies, the final report.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use hdrhistogram::Histogram;
use jsonmux::Resp;
use serde::Serialize;

use crate::target::PoolCounts;

/// Counters shared by all workers, read while the load runs.
#[derive(Debug, Default)]
pub(crate) struct Live {
    pub(crate) sent: AtomicU64,
    pub(crate) ok: AtomicU64,
    pub(crate) errors: AtomicU64,
}

/// Why one request failed: a short kind to count by and a message for people.
#[derive(Debug)]
pub(crate) struct Failure {
    kind: String,
    detail: String,
}

impl Failure {
    pub(crate) fn new(kind: impl Into<String>, detail: impl Into<String>) -> Failure {
        Failure {
            kind: kind.into(),
            detail: detail.into(),
        }
    }

    /// A stack error, counted by its variant's name in snake case
    /// (`Timeout` → `timeout`, `Closed(..)` → `closed`). The name is read
    /// from the `Debug` form so that variants added later need no code here.
    pub(crate) fn stack(e: jsonmux::Error) -> Failure {
        let debug = format!("{e:?}");
        let name = debug.split(|c: char| !c.is_ascii_alphanumeric()).next();
        let mut kind = String::new();
        for (i, c) in name.unwrap_or_default().chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                kind.push('_');
            }
            kind.push(c.to_ascii_lowercase());
        }
        Failure::new(kind, e.report())
    }

    /// An answer that is not the one the request called for.
    pub(crate) fn wrong_answer(uid: &str, resp: &Resp) -> Failure {
        let detail = format!(
            "sent Uid {uid:?}, got Uid {:?} Val {:?}",
            resp.uid, resp.val
        );
        Failure::new("wrong_answer", detail)
    }
}

/// What one worker saw.
#[derive(Debug)]
pub(crate) struct Tally {
    /// Latency of ok answers, in microseconds.
    latency_us: Histogram<u64>,
    /// Count and first message of each kind of error.
    errors: BTreeMap<String, (u64, String)>,
    /// The longest a failed request took to fail, in microseconds.
    error_max_us: u64,
}

impl Tally {
    pub(crate) fn new() -> Tally {
        Tally {
            // 1 µs to 1 h, 3 significant digits.
            latency_us: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"),
            errors: BTreeMap::new(),
            error_max_us: 0,
        }
    }

    pub(crate) fn record_ok(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.saturating_record(us.max(1));
    }

    pub(crate) fn record_error(&mut self, failure: Failure, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.error_max_us = self.error_max_us.max(us);
        let entry = self
            .errors
            .entry(failure.kind)
            .or_insert((0, failure.detail));
        entry.0 += 1;
    }

    /// Requests still outstanding when the drain ended.
    pub(crate) fn record_unfinished(&mut self, n: u64) {
        if n > 0 {
            let detail = "no answer before the drain ended".to_owned();
            self.errors
                .entry("unfinished".to_owned())
                .or_insert((0, detail))
                .0 += n;
        }
    }

    pub(crate) fn merge(&mut self, other: Tally) {
        self.latency_us.add(&other.latency_us).expect("same bounds");
        self.error_max_us = self.error_max_us.max(other.error_max_us);
        for (kind, (n, detail)) in other.errors {
            self.errors.entry(kind).or_insert((0, detail)).0 += n;
        }
    }

    /// Latency of ok answers, in microseconds.
    pub(crate) fn latency_us(&self) -> &Histogram<u64> {
        &self.latency_us
    }

    /// Failed requests of every kind.
    pub(crate) fn error_count(&self) -> u64 {
        self.errors.values().map(|(n, _)| n).sum()
    }

    /// Tells, on stderr, what each kind of error looked like.
    pub(crate) fn print_error_samples(&self) {
        for (kind, (n, detail)) in &self.errors {
            eprintln!("loadgen: {n} × {kind}, e.g. {detail}");
        }
    }
}

/// The JSON line printed every `--interval`: counts for that interval.
#[derive(Debug, Serialize)]
pub(crate) struct Interval<'a> {
    /// In a `--sweep`, the target's label (absent in a single run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) target: Option<&'a str>,
    /// In a `--sweep`, the depth being run (absent in a single run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inflight: Option<usize>,
    pub(crate) t_s: f64,
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    pub(crate) rps: f64,
}

/// What was asked for: the first fields of the final JSON line.
#[derive(Debug, Serialize)]
pub(crate) struct Setup<'a> {
    pub(crate) client: &'a str,
    /// `--engine` (the raw client has none of its own and ignores it).
    pub(crate) engine: String,
    pub(crate) buffer: Option<usize>,
    pub(crate) addr: &'a [String],
    pub(crate) conns: usize,
    pub(crate) inflight: usize,
    pub(crate) val_size: usize,
}

/// The final JSON line.
#[derive(Debug, Serialize)]
pub(crate) struct Report<'a> {
    #[serde(flatten)]
    setup: Setup<'a>,
    /// From the first request to the last outcome, drain included.
    duration_s: f64,
    sent: u64,
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    errors_by_kind: BTreeMap<&'a str, u64>,
    /// Ok answers per second.
    rps: f64,
    mean_us: f64,
    p50_us: u64,
    p99_us: u64,
    p999_us: u64,
    max_us: u64,
    /// The longest a failed request took to fail (0 without failures).
    error_max_us: u64,
    /// What the jsonmux clients did beyond sending each call once.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pool: Option<PoolCounts>,
}

impl<'a> Report<'a> {
    pub(crate) fn new(
        setup: Setup<'a>,
        elapsed: Duration,
        sent: u64,
        tally: &'a Tally,
        pool: Option<PoolCounts>,
    ) -> Self {
        let h = &tally.latency_us;
        let errors_by_kind: BTreeMap<_, _> = tally
            .errors
            .iter()
            .map(|(k, (n, _))| (k.as_str(), *n))
            .collect();
        Report {
            setup,
            duration_s: round3(elapsed.as_secs_f64()),
            sent,
            ok: h.len(),
            errors: errors_by_kind.values().sum(),
            errors_by_kind,
            rps: round3(h.len() as f64 / elapsed.as_secs_f64()),
            mean_us: round3(h.mean()),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
            error_max_us: tally.error_max_us,
            pool,
        }
    }
}

/// Rounds to three decimals, for readable JSON.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
