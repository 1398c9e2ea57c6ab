//! Spans at a level chosen at run time.
//!
//! tracing's span macros take their level as a constant (each call site is
//! registered once, with its level); [`span_at!`] picks among the five call
//! sites by the level given. A span the subscriber does not take costs a
//! level check, as with the plain macros.

/// `tracing::span!` with a `tracing::Level` known only at run time.
macro_rules! span_at {
    ($level:expr, $($span:tt)+) => {
        match $level {
            ::tracing::Level::ERROR => ::tracing::error_span!($($span)+),
            ::tracing::Level::WARN => ::tracing::warn_span!($($span)+),
            ::tracing::Level::INFO => ::tracing::info_span!($($span)+),
            ::tracing::Level::DEBUG => ::tracing::debug_span!($($span)+),
            _ => ::tracing::trace_span!($($span)+),
        }
    };
}

pub(crate) use span_at;
