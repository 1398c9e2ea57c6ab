//! Spans at a level chosen at run time.
//!
//! tracing's span macros take their level as a constant (each call site is
//! registered once, with its level); [`span_at!`] picks among the five call
//! sites by the level given. A level no subscriber wants gives
//! `Span::none()` after one check against the global level filter, before
//! any call site is asked (and before tracing's `log` fallback, which would
//! format the fields for a `log` logger).

use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};

/// Whether a span at `level` could be taken by some subscriber now.
#[inline]
pub(crate) fn enabled(level: tracing::Level) -> bool {
    level <= STATIC_MAX_LEVEL && level <= LevelFilter::current()
}

/// `tracing::span!` with a `tracing::Level` known only at run time.
macro_rules! span_at {
    ($level:expr, $($span:tt)+) => {
        match $level {
            level if !$crate::trace::enabled(level) => ::tracing::Span::none(),
            ::tracing::Level::ERROR => ::tracing::error_span!($($span)+),
            ::tracing::Level::WARN => ::tracing::warn_span!($($span)+),
            ::tracing::Level::INFO => ::tracing::info_span!($($span)+),
            ::tracing::Level::DEBUG => ::tracing::debug_span!($($span)+),
            _ => ::tracing::trace_span!($($span)+),
        }
    };
}

pub(crate) use span_at;
