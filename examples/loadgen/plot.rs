//! `--svg DIR`: a sweep's two charts, drawn with plotters' SVG backend.
//!
//! * `throughput-latency.svg`: latency (log scale) against throughput, one
//!   colour per target, its median as a solid line and its p99 dashed,
//!   each point labelled with its requests in flight.
//! * `latency-histogram.svg`: how the latency of ok answers spreads at one
//!   depth, one outline per target, over buckets of equal width on a log
//!   scale.

use std::error::Error;
use std::ops::Range;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;
use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::sweep::{Distribution, Point};

/// The size of each chart, in pixels.
const SIZE: (u32, u32) = (1000, 640);

/// Histogram buckets per tenfold of latency.
const BUCKETS_PER_DECADE: f64 = 10.0;

/// The share (%) of ok answers under which a histogram's outermost buckets
/// are left out: too few to see, they would stretch the axis.
const EDGE_SHARE: f64 = 0.1;

/// One colour per target, in order (Okabe and Ito's set, told apart with
/// any colour vision).
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// The font family the SVG names (the viewer picks the face).
const FONT: &str = "sans-serif";

/// About how wide a digit of a depth label is, in pixels, at its 12 px.
const LABEL_CHAR_WIDTH: i32 = 7;

/// Draws both charts into `dir` (made if missing); returns their paths.
pub(crate) fn draw(
    dir: &Path,
    points: &[Point],
    distributions: &[Distribution],
    depth: usize,
) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    let latency = dir.join("throughput-latency.svg");
    throughput_latency(&latency, points)?;
    let histogram = dir.join("latency-histogram.svg");
    latency_histogram(&histogram, distributions, depth)?;
    Ok(vec![latency, histogram])
}

/// The targets, in the order they first appear.
fn targets<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for label in labels {
        if !seen.contains(&label) {
            seen.push(label);
        }
    }
    seen
}

fn throughput_latency(path: &Path, points: &[Point]) -> Result<(), Box<dyn Error>> {
    // A point without ok answers has no latency to place.
    let points: Vec<&Point> = points.iter().filter(|p| p.ok > 0).collect();
    let max_rps = points.iter().map(|p| p.rps).fold(1.0, f64::max);
    let lowest = points.iter().map(|p| p.p50_us).min().unwrap_or(1);
    let highest = points.iter().map(|p| p.p99_us).max().unwrap_or(10);
    let (y_min, y_max) = (lowest as f64 / 1.5, highest as f64 * 1.5);

    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (upper, footer) = root.split_vertically(SIZE.1 - 30);
    let mut chart = ChartBuilder::on(&upper)
        .caption(
            "Latency against throughput, as requests in flight grow",
            (FONT, 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..max_rps * 1.1, Log125::new(y_min..y_max))?;
    chart
        .configure_mesh()
        .x_desc("Throughput (ok answers per second)")
        .y_desc("Latency of ok answers (microseconds, log scale)")
        .x_label_formatter(&|x| per_second(*x))
        .y_label_formatter(&|y| trim(*y))
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 13))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()?;

    // Each point's depth, placed once every series is drawn: (text, the
    // dot's x and the label's top, in pixels).
    let mut depths: Vec<(String, (i32, i32))> = Vec::new();
    for (i, target) in targets(points.iter().map(|p| p.target.as_str()))
        .into_iter()
        .enumerate()
    {
        let colour = COLOURS[i % COLOURS.len()];
        let line = colour.stroke_width(2);
        let mine: Vec<&&Point> = points.iter().filter(|p| p.target == target).collect();
        let p50: Vec<(f64, f64)> = mine.iter().map(|p| (p.rps, p.p50_us as f64)).collect();
        let p99: Vec<(f64, f64)> = mine.iter().map(|p| (p.rps, p.p99_us as f64)).collect();

        chart
            .draw_series(LineSeries::new(p50.iter().copied(), line))?
            .label(format!("{target}: median (p50)"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], line));
        chart
            .draw_series(DashedLineSeries::new(p99.iter().copied(), 7, 5, line))?
            .label(format!("{target}: p99"))
            .legend(move |(x, y)| DashedPathElement::new([(x, y), (x + 24, y)], 7, 5, line));
        chart.draw_series(p50.iter().map(|&xy| Circle::new(xy, 4, colour.filled())))?;
        chart.draw_series(
            p99.iter()
                .map(|&xy| Circle::new(xy, 4, colour.stroke_width(2))),
        )?;
        // Each point's depth goes below the median's dot and above the
        // p99's, so that the two labels of one run stay apart.
        for (p, (&median, &tail)) in mine.iter().zip(p50.iter().zip(&p99)) {
            let (x, y) = chart.backend_coord(&median);
            depths.push((p.inflight.to_string(), (x, y + 2)));
            let (x, y) = chart.backend_coord(&tail);
            depths.push((p.inflight.to_string(), (x, y - 15)));
        }
    }
    // A depth goes right of its dot, or left where that would cover
    // another label; the same depth of two targets at nearly the same
    // place is shown once.
    let mut shown: Vec<(String, (i32, i32))> = Vec::new();
    for (depth, (x, y)) in depths {
        let width = LABEL_CHAR_WIDTH * depth.len() as i32;
        let (right, left) = ((x + 6, y), (x - 6 - width, y));
        let covers = |(ax, ay): (i32, i32), (text, (bx, by)): &(String, (i32, i32))| {
            let other = LABEL_CHAR_WIDTH * text.len() as i32;
            ax < bx + other && *bx < ax + width && (ay - by).abs() < 12
        };
        if shown.iter().any(|s| s.0 == depth && covers(right, s)) {
            continue;
        }
        let crowded = |at| shown.iter().any(|s| covers(at, s));
        let at = if crowded(right) && !crowded(left) {
            left
        } else {
            right
        };
        upper.draw(&Text::new(depth.clone(), at, (FONT, 12).into_font()))?;
        shown.push((depth, at));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(170, 170, 170))
        .draw()?;
    footer.draw_text(
        "Numbers by the points: requests in flight. Solid line: median latency; \
         dashed: 99th percentile. Filled dot: median; hollow: p99.",
        &(FONT, 13).into_font().color(&RGBColor(80, 80, 80)),
        (16, 6),
    )?;
    root.present()?;
    Ok(())
}

fn latency_histogram(
    path: &Path,
    distributions: &[Distribution],
    depth: usize,
) -> Result<(), Box<dyn Error>> {
    let distributions: Vec<&Distribution> = distributions
        .iter()
        .filter(|d| !d.latency_us.is_empty())
        .collect();
    let shares: Vec<Vec<(usize, f64)>> = distributions
        .iter()
        .map(|d| buckets(&d.latency_us))
        .collect();
    let first = shares.iter().flatten().map(|&(b, _)| b).min().unwrap_or(0);
    let last = shares.iter().flatten().map(|&(b, _)| b).max().unwrap_or(10);
    let top = shares.iter().flatten().map(|&(_, s)| s).fold(1.0, f64::max);
    let (x_min, x_max) = (edge(first) / 1.2, edge(last + 1) * 1.2);

    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (upper, footer) = root.split_vertically(SIZE.1 - 30);
    let mut chart = ChartBuilder::on(&upper)
        .caption(
            format!("How latency spreads at {depth} requests in flight"),
            (FONT, 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(Log125::new(x_min..x_max), 0.0..top * 1.15)?;
    chart
        .configure_mesh()
        .x_desc("Latency of ok answers (microseconds, log scale)")
        .y_desc("Share of ok answers in each bucket (%)")
        .x_label_formatter(&|x| trim(*x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 13))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()?;

    for (i, (d, shares)) in distributions.iter().zip(&shares).enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let outline = step_outline(shares);
        chart.draw_series(std::iter::once(Polygon::new(
            outline.clone(),
            colour.mix(0.12).filled(),
        )))?;
        let h = &d.latency_us;
        chart
            .draw_series(LineSeries::new(outline, colour.stroke_width(2)))?
            .label(format!(
                "{}: median {} µs, p99 {} µs",
                d.target,
                h.value_at_quantile(0.5),
                h.value_at_quantile(0.99)
            ))
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 24, y + 5)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(170, 170, 170))
        .draw()?;
    footer.draw_text(
        &format!(
            "Buckets: {BUCKETS_PER_DECADE} per tenfold of latency. Those at either end with under \
             {EDGE_SHARE}% of the answers are left out; the legend's percentiles count every answer."
        ),
        &(FONT, 13).into_font().color(&RGBColor(80, 80, 80)),
        (16, 6),
    )?;
    root.present()?;
    Ok(())
}

/// The lower edge of log bucket `b`, in microseconds.
fn edge(b: usize) -> f64 {
    10f64.powf(b as f64 / BUCKETS_PER_DECADE)
}

/// The share (%) of the recorded values in each log bucket, by bucket
/// number (values of at least 1 µs, so bucket numbers are not negative),
/// less the buckets at either end that hold under [`EDGE_SHARE`].
fn buckets(h: &Histogram<u64>) -> Vec<(usize, f64)> {
    let mut counts = std::collections::BTreeMap::new();
    for v in h.iter_recorded() {
        let us = h.lowest_equivalent(v.value_iterated_to()).max(1) as f64;
        let b = (us.log10() * BUCKETS_PER_DECADE + 1e-9).floor() as usize;
        *counts.entry(b).or_insert(0u64) += v.count_at_value();
    }
    let total = h.len() as f64;
    let shares: Vec<(usize, f64)> = counts
        .into_iter()
        .map(|(b, n)| (b, n as f64 * 100.0 / total))
        .collect();
    let shown = |&(_, share): &(usize, f64)| share >= EDGE_SHARE;
    match (
        shares.iter().position(shown),
        shares.iter().rposition(shown),
    ) {
        (Some(first), Some(last)) => shares[first..=last].to_vec(),
        _ => shares,
    }
}

/// The histogram's outline: up and across each bucket, down to zero
/// across gaps, closed at zero on both ends.
fn step_outline(shares: &[(usize, f64)]) -> Vec<(f64, f64)> {
    let mut outline = Vec::with_capacity(shares.len() * 4 + 2);
    let mut previous: Option<usize> = None;
    for &(b, share) in shares {
        match previous {
            None => outline.push((edge(b), 0.0)),
            Some(p) if p + 1 < b => {
                outline.push((edge(p + 1), 0.0));
                outline.push((edge(b), 0.0));
            }
            Some(_) => {}
        }
        outline.push((edge(b), share));
        outline.push((edge(b + 1), share));
        previous = Some(b);
    }
    if let Some(p) = previous {
        outline.push((edge(p + 1), 0.0));
    }
    outline
}

/// `1200` as `1.2k`, `250000` as `250k`: a rate's axis label.
fn per_second(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{}M", trim(x / 1e6)),
        x if x >= 1e3 => format!("{}k", trim(x / 1e3)),
        x => trim(x),
    }
}

/// A number with at most one decimal, none when it is whole.
fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// A log-scale axis with its labels and grid lines on 1, 2 and 5 times a
/// power of ten (plotters' own log axis labels only the powers of ten
/// unless asked for ten labels per tenfold) and faint lines on the other
/// whole multiples.
struct Log125(LogCoord<f64>);

impl Log125 {
    fn new(range: Range<f64>) -> Log125 {
        Log125(range.log_scale().into())
    }
}

impl Ranged for Log125 {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.0.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let Range { start, end } = self.0.range();
        let steps: &[f64] = if hint.weight().allow_light_points() {
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        let mut points = Vec::new();
        let mut power = 10f64.powf(start.log10().floor());
        while power <= end {
            let within = steps.iter().map(|m| m * power);
            points.extend(within.filter(|v| (start..=end).contains(v)));
            power *= 10.0;
        }
        points
    }

    fn range(&self) -> Range<f64> {
        self.0.range()
    }
}
