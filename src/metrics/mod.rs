//! The metrics jsonmux records through the [`metrics`](https://docs.rs/metrics)
//! facade (cargo feature `metrics`), in addition to the
//! [`StatsHandle`](crate::server::StatsHandle) and
//! [`PoolStats`](crate::pool::PoolStats) snapshots: install any
//! `metrics` recorder (a Prometheus exporter, say) and they appear there.
//!
//! Every name jsonmux records is listed here, and nowhere else:
//!
//! | name | kind | labels | what |
//! |------|------|--------|------|
//! | `jsonmux_server_connections_total` | counter | | connections accepted |
//! | `jsonmux_server_connections_open` | gauge | | connections open now |
//! | `jsonmux_server_requests_total` | counter | | requests read |
//! | `jsonmux_server_errors_total` | counter | `code` | error answers sent, and connections the server ended, by [`Code`](crate::Code) |
//! | `jsonmux_server_request_duration_seconds` | histogram | | from a request's call to its answer (error answers included) |
//! | `jsonmux_server_deadlines_received_total` | counter | | requests that came with their caller's deadline (from jsonmux clients) |
//! | `jsonmux_server_cancels_received_total` | counter | | cancels read from jsonmux clients |
//! | `jsonmux_server_handlers_cancelled_total` | counter | | handlers a cancel stopped (the rest came after their answer) |
//! | `jsonmux_server_delay_seconds` | gauge | | the recent delay per request, from reading a request to writing its answer, as told to jsonmux clients |
//! | `jsonmux_client_calls_total` | counter | `endpoint` | calls sent to the endpoint |
//! | `jsonmux_client_errors_total` | counter | `endpoint`, `kind` | failed calls: `kind` is the error answer's [`Code`](crate::Code), `closed` or `duplicate_uid` |
//! | `jsonmux_client_abandoned_total` | counter | `endpoint` | calls given up before their answer (timed out or dropped) |
//! | `jsonmux_client_in_flight` | gauge | `endpoint` | calls waiting for their answer now |
//! | `jsonmux_client_call_duration_seconds` | histogram | `endpoint` | from sending a call to its outcome (answers and failures; not abandoned calls) |
//! | `jsonmux_client_connections` | gauge | `endpoint` | connections up now |
//! | `jsonmux_client_reconnects_total` | counter | `endpoint` | connections dialed again after one ended |
//! | `jsonmux_client_deadlines_sent_total` | counter | | requests sent with their deadline (to a jsonmux server) |
//! | `jsonmux_client_cancels_sent_total` | counter | | cancels sent for calls given up on (to a jsonmux server) |
//! | `jsonmux_client_retries_total` | counter | `endpoint` | calls the endpoint answered without running them, sent again (see [`ClientBuilder::retry_budget`](crate::ClientBuilder::retry_budget)) |
//! | `jsonmux_client_retries_refused_total` | counter | `endpoint` | such calls the retry budget did not let go again |
//! | `jsonmux_client_hedges_total` | counter | `endpoint` | copies of slow idempotent calls sent to the endpoint (see [`ClientBuilder::hedge`](crate::ClientBuilder::hedge)) |
//! | `jsonmux_client_hedges_won_total` | counter | `endpoint` | copies sent to the endpoint that answered first |
//! | `jsonmux_client_server_delay_seconds` | gauge | `endpoint` | the delay per request the endpoint's server reports (a jsonmux server) |
//! | `jsonmux_client_round_trip_seconds` | gauge | `endpoint` | this client's recent round trips to the endpoint |
//!
//! The client counts per endpoint, as it sees them: a call still waiting for
//! a connection is not counted until it is sent.
//!
//! # A note on installing the recorder
//!
//! Install the recorder before building the server (with
//! [`ServerBuilder::listener`](crate::ServerBuilder::listener) or
//! [`bind`](crate::ServerBuilder::bind)) and before adding a client's
//! endpoints: jsonmux registers its metrics once, then, so recording costs
//! no look-up per request, and a metric registered while no recorder was
//! installed records nowhere.
//!
//! # A note on cost
//!
//! With the feature on, each request and each call reads the clock twice
//! (for the durations) and updates a few of the recorder's atomics; without
//! it, none of this is compiled in.
//!
//! # Examples
//!
//! `examples/metrics.rs` runs a server and a client in one process, makes
//! some calls (some failing) and prints what a Prometheus exporter serves:
//!
//! ```text
//! cargo run --example metrics --features metrics
//! ```

mod client;
mod server;

pub(crate) use client::{EndpointMetrics, Measured};
pub(crate) use server::{ServerMetrics, TimeRequests};

/// Counter: connections the server accepted.
pub const SERVER_CONNECTIONS_TOTAL: &str = "jsonmux_server_connections_total";
/// Gauge: connections open at the server now.
pub const SERVER_CONNECTIONS_OPEN: &str = "jsonmux_server_connections_open";
/// Counter: requests the server read.
pub const SERVER_REQUESTS_TOTAL: &str = "jsonmux_server_requests_total";
/// Counter, label `code`: error answers, and connections the server ended.
pub const SERVER_ERRORS_TOTAL: &str = "jsonmux_server_errors_total";
/// Histogram, seconds: from a request's call to its answer.
pub const SERVER_REQUEST_DURATION_SECONDS: &str = "jsonmux_server_request_duration_seconds";
/// Counter: requests that came with their caller's deadline (those that
/// came with it passed are `SERVER_ERRORS_TOTAL{code="deadline_exceeded"}`).
pub const SERVER_DEADLINES_RECEIVED_TOTAL: &str = "jsonmux_server_deadlines_received_total";
/// Counter: cancels read from jsonmux clients.
pub const SERVER_CANCELS_RECEIVED_TOTAL: &str = "jsonmux_server_cancels_received_total";
/// Counter: handlers stopped by a cancel.
pub const SERVER_HANDLERS_CANCELLED_TOTAL: &str = "jsonmux_server_handlers_cancelled_total";
/// Counter, label `endpoint`: calls sent.
pub const CLIENT_CALLS_TOTAL: &str = "jsonmux_client_calls_total";
/// Counter, labels `endpoint` and `kind`: calls failed.
pub const CLIENT_ERRORS_TOTAL: &str = "jsonmux_client_errors_total";
/// Counter, label `endpoint`: calls given up before their answer.
pub const CLIENT_ABANDONED_TOTAL: &str = "jsonmux_client_abandoned_total";
/// Gauge, label `endpoint`: calls waiting for their answer.
pub const CLIENT_IN_FLIGHT: &str = "jsonmux_client_in_flight";
/// Histogram, seconds, label `endpoint`: from sending a call to its outcome.
pub const CLIENT_CALL_DURATION_SECONDS: &str = "jsonmux_client_call_duration_seconds";
/// Gauge, label `endpoint`: connections up.
pub const CLIENT_CONNECTIONS: &str = "jsonmux_client_connections";
/// Counter, label `endpoint`: connections dialed again after one ended.
pub const CLIENT_RECONNECTS_TOTAL: &str = "jsonmux_client_reconnects_total";
/// Counter: requests that told a jsonmux server their deadline.
pub const CLIENT_DEADLINES_SENT_TOTAL: &str = "jsonmux_client_deadlines_sent_total";
/// Counter: calls given up on that a jsonmux server was told to drop.
pub const CLIENT_CANCELS_SENT_TOTAL: &str = "jsonmux_client_cancels_sent_total";
/// Counter: calls an endpoint answered without running them, sent again.
pub const CLIENT_RETRIES_TOTAL: &str = "jsonmux_client_retries_total";
/// Counter: calls an endpoint answered without running them that the
/// retry budget did not let go again.
pub const CLIENT_RETRIES_REFUSED_TOTAL: &str = "jsonmux_client_retries_refused_total";
/// Counter: copies of slow idempotent calls sent to an endpoint.
pub const CLIENT_HEDGES_TOTAL: &str = "jsonmux_client_hedges_total";
/// Counter: copies sent to an endpoint that answered first.
pub const CLIENT_HEDGES_WON_TOTAL: &str = "jsonmux_client_hedges_won_total";
/// Gauge: the delay per request an endpoint's server reports, in seconds.
pub const CLIENT_SERVER_DELAY_SECONDS: &str = "jsonmux_client_server_delay_seconds";
/// Gauge: this client's recent round trips to an endpoint, in seconds.
pub const CLIENT_ROUND_TRIP_SECONDS: &str = "jsonmux_client_round_trip_seconds";
/// Gauge: the server's recent delay per request, in seconds.
pub const SERVER_DELAY_SECONDS: &str = "jsonmux_server_delay_seconds";
