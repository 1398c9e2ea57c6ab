//! `--sweep`: the load once per in-flight depth and target, each a run of
//! its own (fresh connections, `--duration` long), one JSON line per
//! point on stdout, and with `--svg` the charts of [`crate::plot`].
//!
//! Points run depth by depth, every target at one depth before the next
//! depth, so that whatever else the machine is doing weighs on the
//! targets alike.

use std::process::ExitCode;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::progress::Tag;
use crate::run::{self, Run};
use crate::Args;

/// A server to drive: `--target LABEL=ADDR`.
#[derive(Clone, Debug)]
pub(crate) struct Labelled {
    /// What the JSON lines and the charts call it.
    pub(crate) label: String,
    /// As `--addr` takes it: `host:port`, a comma list, or `unix:/path`.
    pub(crate) addr: Vec<String>,
}

/// Parses `LABEL=ADDR`.
pub(crate) fn parse_target(s: &str) -> Result<Labelled, String> {
    let Some((label, addr)) = s.split_once('=') else {
        return Err(format!("not LABEL=ADDR: {s:?}"));
    };
    let addr: Vec<String> = addr.split(',').map(|a| a.trim().to_owned()).collect();
    if label.is_empty() || addr.iter().any(String::is_empty) {
        return Err(format!("not LABEL=ADDR: {s:?}"));
    }
    Ok(Labelled {
        label: label.to_owned(),
        addr,
    })
}

/// One point of the sweep: its JSON line.
#[derive(Debug, Serialize)]
pub(crate) struct Point {
    pub(crate) target: String,
    pub(crate) inflight: usize,
    /// Ok answers per second.
    pub(crate) rps: f64,
    /// Latency of ok answers, in microseconds (0 without any).
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) p999_us: u64,
    pub(crate) ok: u64,
    pub(crate) errors: u64,
}

impl Point {
    fn new(tag: Tag, run: &Run) -> Point {
        let h = run.total.latency_us();
        Point {
            target: tag.target,
            inflight: tag.inflight,
            rps: crate::stats::round3(h.len() as f64 / run.elapsed.as_secs_f64()),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            ok: h.len(),
            errors: run.total.error_count(),
        }
    }
}

/// The latency of one target's ok answers at the histogram's depth.
#[derive(Debug)]
pub(crate) struct Distribution {
    pub(crate) target: String,
    pub(crate) latency_us: Histogram<u64>,
}

/// Runs the sweep `args` ask for and draws its charts; exits 0 if every
/// point had ok answers and no errors, else 1 (2 for bad flags).
pub(crate) async fn sweep(args: &Args) -> ExitCode {
    let targets = if args.target.is_empty() {
        vec![Labelled {
            label: args.addr.join(","),
            addr: args.addr.clone(),
        }]
    } else {
        args.target.clone()
    };
    let deepest = args.sweep.iter().copied().max().unwrap_or_default();
    let histogram_depth = args.histogram_depth.unwrap_or(deepest);
    if !args.sweep.contains(&histogram_depth) {
        eprintln!("loadgen: --histogram-depth {histogram_depth} is not in --sweep");
        return ExitCode::from(2);
    }
    // Every point's flags, checked before the first one runs.
    let mut plan = Vec::new();
    for &inflight in &args.sweep {
        for target in &targets {
            let point_args = Args {
                addr: target.addr.clone(),
                inflight,
                ..args.clone()
            };
            if let Err(e) = run::check(&point_args) {
                eprintln!("loadgen: {} at {inflight} in flight: {e}", target.label);
                return ExitCode::from(2);
            }
            let tag = Tag {
                target: target.label.clone(),
                inflight,
            };
            plan.push((tag, point_args));
        }
    }

    let (mut points, mut distributions) = (Vec::new(), Vec::new());
    for (tag, point_args) in plan {
        let run = match run::run(&point_args, Some(tag.clone())).await {
            Ok(run) => run,
            Err(code) => return code,
        };
        if run.total.error_count() > 0 {
            eprintln!(
                "loadgen: {} at {} in flight had errors:",
                tag.target, tag.inflight
            );
            run.total.print_error_samples();
        }
        if tag.inflight == histogram_depth {
            distributions.push(Distribution {
                target: tag.target.clone(),
                latency_us: run.total.latency_us().clone(),
            });
        }
        let point = Point::new(tag, &run);
        println!(
            "{}",
            serde_json::to_string(&point).expect("a point serializes")
        );
        points.push(point);
        if run.interrupted {
            eprintln!("loadgen: sweep cut short");
            break;
        }
    }

    if let Some(dir) = &args.svg {
        match crate::plot::draw(dir, &points, &distributions, histogram_depth) {
            Ok(files) => {
                for file in files {
                    eprintln!("loadgen: wrote {}", file.display());
                }
            }
            Err(e) => {
                eprintln!("loadgen: cannot draw into {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if points.iter().all(|p| p.ok > 0 && p.errors == 0) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
