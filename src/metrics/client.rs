//! [`EndpointMetrics`]: a client's handles on one endpoint's metrics, and
//! [`Measured`]: one call, counted and timed.

use std::sync::Arc;
use std::time::Instant;

use metrics::{Counter, Gauge, Histogram, Unit};

use super::*;
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
}

/// One call sent to an endpoint: counted and in flight from its start;
/// timed and counted by outcome at [`Measured::finish`], or abandoned if
/// dropped before.
#[derive(Debug)]
pub(crate) struct Measured {
    metrics: Arc<EndpointMetrics>,
    started: Instant,
    finished: bool,
}

impl Measured {
    pub(crate) fn start(metrics: &Arc<EndpointMetrics>) -> Self {
        metrics.calls.increment(1);
        metrics.in_flight.increment(1.0);
        Measured {
            metrics: metrics.clone(),
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
