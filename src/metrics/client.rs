//! [`EndpointMetrics`]: a client's handles on one endpoint's metrics, and
//! [`Measured`]: one call, counted and timed.

use std::sync::Arc;
use std::time::Instant;

use metrics::{Counter, Gauge, Histogram, Unit};

use super::*;
use crate::connection::latency::Latency;
use crate::{Addr, Code, Error, Resp};

/// One endpoint's metrics, registered once, when the endpoint joins a pool;
/// every connection to it and every call sent to it records here.
#[derive(Debug)]
pub(crate) struct EndpointMetrics {
    /// The `endpoint` label.
    endpoint: String,
    calls: Counter,
    abandoned: Counter,
    in_flight: Gauge,
    call_duration: Histogram,
    connections: Gauge,
    reconnects: Counter,
    pub(crate) retries: Counter,
    pub(crate) retries_refused: Counter,
    pub(crate) hedges: Counter,
    pub(crate) hedges_won: Counter,
    server_delay: Gauge,
    round_trip: Gauge,
}

impl EndpointMetrics {
    pub(crate) fn new(addr: &Addr) -> Self {
        describe();
        let endpoint = addr.to_string();
        let label = || ("endpoint", endpoint.clone());
        EndpointMetrics {
            calls: metrics::counter!(CLIENT_CALLS_TOTAL, &[label()]),
            abandoned: metrics::counter!(CLIENT_ABANDONED_TOTAL, &[label()]),
            in_flight: metrics::gauge!(CLIENT_IN_FLIGHT, &[label()]),
            call_duration: metrics::histogram!(CLIENT_CALL_DURATION_SECONDS, &[label()]),
            connections: metrics::gauge!(CLIENT_CONNECTIONS, &[label()]),
            reconnects: metrics::counter!(CLIENT_RECONNECTS_TOTAL, &[label()]),
            retries: metrics::counter!(CLIENT_RETRIES_TOTAL, &[label()]),
            retries_refused: metrics::counter!(CLIENT_RETRIES_REFUSED_TOTAL, &[label()]),
            hedges: metrics::counter!(CLIENT_HEDGES_TOTAL, &[label()]),
            hedges_won: metrics::counter!(CLIENT_HEDGES_WON_TOTAL, &[label()]),
            server_delay: metrics::gauge!(CLIENT_SERVER_DELAY_SECONDS, &[label()]),
            round_trip: metrics::gauge!(CLIENT_ROUND_TRIP_SECONDS, &[label()]),
            endpoint,
        }
    }

    /// A connection to the endpoint is up; `again` if it replaces one.
    pub(crate) fn connected(&self, again: bool) {
        self.connections.increment(1.0);
        if again {
            self.reconnects.increment(1);
        }
    }

    /// A connection to the endpoint ended.
    pub(crate) fn disconnected(&self) {
        self.connections.decrement(1.0);
    }

    /// Counts a failed call. (Looked up at each failure, so only the
    /// kinds that occur show.)
    fn failed(&self, e: &Error) {
        let kind = match e {
            Error::Overloaded => Code::Overloaded.as_str(),
            Error::Server { code, .. } => code.as_str(),
            Error::DuplicateUid(_) => "duplicate_uid",
            _ => "closed",
        };
        let labels = [
            ("endpoint", self.endpoint.clone()),
            ("kind", kind.to_owned()),
        ];
        metrics::counter!(CLIENT_ERRORS_TOTAL, &labels).increment(1);
    }
}

fn describe() {
    metrics::describe_counter!(CLIENT_CALLS_TOTAL, "calls sent");
    metrics::describe_counter!(
        CLIENT_ERRORS_TOTAL,
        "calls failed, by kind: the answer's code, closed or duplicate_uid"
    );
    metrics::describe_counter!(CLIENT_ABANDONED_TOTAL, "calls given up before their answer");
    metrics::describe_gauge!(CLIENT_IN_FLIGHT, "calls waiting for their answer");
    metrics::describe_histogram!(
        CLIENT_CALL_DURATION_SECONDS,
        Unit::Seconds,
        "from sending a call to its outcome"
    );
    metrics::describe_gauge!(CLIENT_CONNECTIONS, "connections up");
    metrics::describe_counter!(
        CLIENT_RECONNECTS_TOTAL,
        "connections dialed again after one ended"
    );
    metrics::describe_counter!(
        CLIENT_RETRIES_TOTAL,
        "calls answered without being run, sent again"
    );
    metrics::describe_counter!(
        CLIENT_RETRIES_REFUSED_TOTAL,
        "calls answered without being run that the retry budget kept from going again"
    );
    metrics::describe_counter!(CLIENT_HEDGES_TOTAL, "copies of slow idempotent calls sent");
    metrics::describe_counter!(CLIENT_HEDGES_WON_TOTAL, "copies that answered first");
    metrics::describe_gauge!(
        CLIENT_SERVER_DELAY_SECONDS,
        Unit::Seconds,
        "the delay per request the server reports"
    );
    metrics::describe_gauge!(
        CLIENT_ROUND_TRIP_SECONDS,
        Unit::Seconds,
        "recent round trips to the endpoint"
    );
}

/// One call sent to an endpoint: counted and in flight from its start;
/// timed and counted by outcome at [`Measured::finish`], or abandoned if
/// dropped before.
#[derive(Debug)]
pub(crate) struct Measured {
    pub(crate) metrics: Arc<EndpointMetrics>,
    /// What the call's connection knows of its latency, for the gauges.
    latency: Arc<Latency>,
    started: Instant,
    finished: bool,
}

impl Measured {
    pub(crate) fn start(metrics: &Arc<EndpointMetrics>, latency: &Arc<Latency>) -> Self {
        metrics.calls.increment(1);
        metrics.in_flight.increment(1.0);
        Measured {
            metrics: metrics.clone(),
            latency: latency.clone(),
            started: Instant::now(),
            finished: false,
        }
    }

    /// The call ended with `out`.
    pub(crate) fn finish(&mut self, out: &Result<Resp, Error>) {
        let m = &self.metrics;
        self.finished = true;
        m.in_flight.decrement(1.0);
        m.call_duration.record(self.started.elapsed());
        if let Some(delay) = self.latency.server_delay() {
            m.server_delay.set(delay.as_secs_f64());
        }
        if let Some(trip) = self.latency.round_trips() {
            m.round_trip.set(trip.as_secs_f64());
        }
        if let Err(e) = out {
            m.failed(e);
        }
    }
}

impl Drop for Measured {
    fn drop(&mut self) {
        if !self.finished {
            self.metrics.in_flight.decrement(1.0);
            self.metrics.abandoned.increment(1);
        }
    }
}
