//! jsonmux's metrics through the `metrics` facade, rendered as a Prometheus
//! exporter serves them.
//!
//! Installs a Prometheus recorder (no HTTP listener: the text is rendered
//! in-process), runs a server and a client in this process on an ephemeral
//! loopback port, makes some calls (some answered with errors, one given up
//! at the client's timeout), shuts the server down, and prints the
//! Prometheus text: the server's and the client's counters, gauges and
//! latency histograms. The names are listed in `jsonmux::metrics`.
//!
//! ```sh
//! cargo run --example metrics --features metrics
//! ```

use std::time::Duration;

use jsonmux::{ClientBuilder, Code, HelloService, Message, Resp, Server};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use tower::{service_fn, BoxError, ServiceExt};

/// Latency buckets, in seconds, for every `*_seconds` histogram.
const BUCKETS: [f64; 8] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5];

/// Answers like the Go server, except `Val`s `missing` (a `not_found` answer),
/// `broken` (the handler fails) and `slow` (answers after a second).
async fn handle(msg: Message) -> Result<Resp, BoxError> {
    match msg.val.as_str() {
        "missing" => Ok(Resp::error(msg.uid, Code::NotFound, "no such pig")),
        "broken" => Err("the pig ran off".into()),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(HelloService::hello(msg))
        }
        _ => Ok(HelloService::hello(msg)),
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // First the recorder: jsonmux registers its metrics as the server is
    // built and as the client's endpoints are added.
    let prometheus = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)?
        .install_recorder()?;

    let server = Server::builder().bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(service_fn(handle), stopped));

    let client = ClientBuilder::new()
        .request_timeout(Some(Duration::from_millis(200)))
        .connect(addr)
        .await?;
    let vals = (0..20)
        .map(|_| "pig")
        .chain(["missing"; 3])
        .chain(["broken"; 2])
        .chain(["slow"]);
    let calls = vals.enumerate().map(|(i, val)| {
        let client = client.clone();
        tokio::spawn(client.oneshot(Message::new(format!("call-{i}"), val)))
    });
    let (mut ok, mut failed) = (0, 0);
    for call in calls.collect::<Vec<_>>() {
        match call.await? {
            Ok(_) => ok += 1,
            Err(_) => failed += 1,
        }
    }
    eprintln!("{ok} calls answered, {failed} failed");

    drop(client);
    let _ = stop.send(());
    serving.await??;
    print!("{}", prometheus.render());
    Ok(())
}
