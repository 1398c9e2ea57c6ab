//! With the `metrics` feature, the server and the client record their
//! counters and latencies through the `metrics` facade.

use crate::support::server::TestServer;
use crate::support::time::with_paused_clock;
use jsonmux::metrics::*;
use jsonmux::{ClientBuilder, Message};
use metrics_exporter_prometheus::PrometheusBuilder;
use tower::ServiceExt;

/// Calls and their failures show in a Prometheus recorder, the server's and the client's, with latency histograms.
#[test]
fn server_and_client_counters_and_latencies_reach_the_recorder() {
    with_paused_clock(|| async {
        let recorder = PrometheusBuilder::new().build_recorder();
        let prometheus = recorder.handle();
        // Metrics registered on this thread (the test's, and its runtime's)
        // go to `recorder`.
        let _local = metrics::set_default_local_recorder(&recorder);
        let s = TestServer::start().await;
        let client = ClientBuilder::new().pool_size(1);
        let client = client.connect(s.addr).await.unwrap();
        for (uid, val) in [("a", "x"), ("b", "y"), ("c", "code:not_found:no pig")] {
            let _ = client.clone().oneshot(Message::new(uid, val)).await;
        }

        let text = prometheus.render();
        let endpoint = format!("endpoint=\"{}\"", s.addr);
        for line in [
            format!("{SERVER_REQUESTS_TOTAL} 3"),
            format!("{SERVER_ERRORS_TOTAL}{{code=\"not_found\"}} 1"),
            format!("{SERVER_CONNECTIONS_TOTAL} 1"),
            format!("{SERVER_REQUEST_DURATION_SECONDS}_count 3"),
            format!("{CLIENT_CALLS_TOTAL}{{{endpoint}}} 3"),
            format!("{CLIENT_ERRORS_TOTAL}{{{endpoint},kind=\"not_found\"}} 1"),
            format!("{CLIENT_IN_FLIGHT}{{{endpoint}}} 0"),
            format!("{CLIENT_CONNECTIONS}{{{endpoint}}} 1"),
            format!("{CLIENT_CALL_DURATION_SECONDS}_count{{{endpoint}}} 3"),
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        }
    });
}
