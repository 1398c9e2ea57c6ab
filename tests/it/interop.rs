//! Interop with the Go peers, both ways: the Go client (`interop/go-client`)
//! against jsonmux's server, and jsonmux's client against the Go server
//! (`interop/go-server`). The Go client runs against each server engine, the
//! Go server against each client engine.
//!
//! The Go programs are built once per run with the `go` on `PATH`. Without
//! one, every test here says it skipped (on stderr, shown even when output is
//! captured) and passes. Each test is bounded: a Go process still running at
//! its deadline is killed.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::future::join_all;
use jsonmux::{Client, ClientBuilder, Engine, HelloService, Message, Server};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, OnceCell};
use tower::ServiceExt;

use crate::support::engines::per_engine;

/// Bound on building the Go programs (a cold build compiles Go's `net` and
/// `encoding/json` too).
const BUILD_TIMEOUT: Duration = Duration::from_secs(300);
/// Bound on one test once the programs are built.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests in flight at once in the concurrent tests.
const IN_FLIGHT: usize = 200;
/// What the Go server puts before every `Val`.
const TAG: &str = "server: hello, ";

/// The folder holding `go-server` and `go-client`, or `None` without Go.
static GO_BINS: OnceCell<Option<PathBuf>> = OnceCell::const_new();

/// The built Go programs' folder, or `None` without Go.
async fn go_bins() -> Option<&'static Path> {
    GO_BINS.get_or_init(build_go_programs).await.as_deref()
}

/// Builds both programs; without Go, says once that every test here skips.
async fn build_go_programs() -> Option<PathBuf> {
    match Command::new("go").arg("version").output().await {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Straight to the process's stderr: the test harness captures `eprintln!`.
            let _ = writeln!(
                std::io::stderr(),
                "interop: skipped: go not installed (no `go` on PATH); these tests pass without running"
            );
            return None;
        }
        Err(e) => panic!("running `go version`: {e}"),
        Ok(out) => assert!(out.status.success(), "`go version` failed: {out:?}"),
    }
    let tmp = option_env!("CARGO_TARGET_TMPDIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let out_dir = tmp.join("interop-go");
    let mut go = Command::new("go");
    go.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("interop"))
        .arg("build")
        .arg("-o")
        // A trailing separator: `go build` writes one binary per package there.
        .arg(format!("{}/", out_dir.display()))
        .args(["./go-server", "./go-client"])
        // Standard library only: never reach for the network or a newer toolchain.
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .kill_on_drop(true);
    let no_cache_home = ["GOCACHE", "XDG_CACHE_HOME", "HOME"]
        .iter()
        .all(|v| std::env::var_os(v).is_none());
    if no_cache_home {
        go.env("GOCACHE", out_dir.join("cache"));
    }
    let out = tokio::time::timeout(BUILD_TIMEOUT, go.output())
        .await
        .unwrap_or_else(|_| panic!("`go build` still running after {BUILD_TIMEOUT:?}"))
        .expect("running `go build`");
    assert!(
        out.status.success(),
        "`go build` in interop/ failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out_dir)
}

/// Runs `test` within [`TEST_TIMEOUT`]; dropping it on timeout kills its Go processes.
async fn bounded<F: std::future::Future>(what: &str, test: F) -> F::Output {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .unwrap_or_else(|_| panic!("{what}: still running after {TEST_TIMEOUT:?}"))
}

/// Panics unless `ts` reads as Go's `time.RFC3339Nano`:
/// `2006-01-02T15:04:05[.fraction](Z|±07:00)`, fraction 1..=9 digits without trailing zeros.
fn assert_rfc3339_nano(ts: &str) {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let ok = ts.len() >= 20 && ts.is_char_boundary(19) && {
        let (datetime, rest) = ts.split_at(19);
        let b = datetime.as_bytes();
        let shape = [4, 7, 10, 13, 16]
            .iter()
            .zip(*b"--T::")
            .all(|(&i, c)| b[i] == c);
        let fields = [0..4, 5..7, 8..10, 11..13, 14..16, 17..19]
            .into_iter()
            .all(|r| digits(&datetime[r]));
        let zone_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
        let (frac, zone) = rest.split_at(zone_at);
        let frac_ok = frac.is_empty()
            || frac
                .strip_prefix('.')
                .is_some_and(|f| digits(f) && f.len() <= 9 && !f.ends_with('0'));
        let zone_ok = zone == "Z"
            || (zone.len() == 6
                && zone.as_bytes()[3] == b':'
                && digits(&zone[1..3])
                && digits(&zone[4..6]));
        shape && fields && frac_ok && zone_ok
    };
    assert!(ok, "not an RFC3339Nano time: {ts:?}");
}

// ---- The Go client against jsonmux's server -------------------------------

/// jsonmux's server with the hello service on `127.0.0.1:0`, driven by
/// `engine`, stopped when the returned sender is dropped or fired.
async fn start_jsonmux_server(engine: Engine) -> (SocketAddr, oneshot::Sender<()>) {
    let server = Server::builder()
        .engine(engine)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.serve(HelloService, stopped));
    (addr, stop)
}

/// Runs the Go client with `args` against a fresh jsonmux server on
/// `engine`; returns its stdout after checking it exited 0 and said `PASS`.
async fn go_client_against_jsonmux(bins: &Path, engine: Engine, args: &[&str]) -> String {
    let (addr, _stop) = start_jsonmux_server(engine).await;
    let out = Command::new(bins.join("go-client"))
        .arg("-addr")
        .arg(addr.to_string())
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .expect("running go-client");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.lines().last() == Some("PASS"),
        "go-client {args:?} against {engine:?} failed ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The Go client's test prints `<Ts>: <Val>` for its two answers, in order.
fn assert_hello_answers_printed(stdout: &str) {
    let mut lines = stdout.lines();
    for val in ["pixelpig!", "another pig!"] {
        let line = lines.next().unwrap_or_default();
        let ts = line
            .strip_suffix(&format!(": {TAG}{val}"))
            .unwrap_or_else(|| panic!("expected `<Ts>: {TAG}{val}`, got {line:?}"));
        assert_rfc3339_nano(ts);
    }
}

per_engine! {
    /// The Go client's test, its two requests written back to back, passes against each server engine.
    async fn the_go_client_gets_the_hello_answers_from_jsonmux_without_newlines(engine: Engine) {
        let Some(bins) = go_bins().await else {
            return;
        };
        let stdout = bounded("go-client", go_client_against_jsonmux(bins, engine, &[])).await;
        assert_hello_answers_printed(&stdout);
    }
}

per_engine! {
    /// The Go client's test with a newline after each request passes against each server engine.
    async fn the_go_client_gets_the_hello_answers_from_jsonmux_with_newlines(engine: Engine) {
        let Some(bins) = go_bins().await else {
            return;
        };
        let stdout = bounded(
            "go-client -newline",
            go_client_against_jsonmux(bins, engine, &["-newline"]),
        )
        .await;
        assert_hello_answers_printed(&stdout);
    }
}

per_engine! {
    /// The Go client with 200 requests in flight on one connection gets every answer right.
    async fn the_go_client_with_many_requests_in_flight_on_one_connection_gets_every_answer(
        engine: Engine,
    ) {
        let Some(bins) = go_bins().await else {
            return;
        };
        let n = IN_FLIGHT.to_string();
        let stdout = bounded(
            "go-client -concurrent",
            go_client_against_jsonmux(bins, engine, &["-concurrent", "-n", &n]),
        )
        .await;
        assert!(
            stdout.contains(&format!(
                "concurrent: {IN_FLIGHT}/{IN_FLIGHT} answers right"
            )),
            "{stdout}"
        );
    }
}

// ---- jsonmux's client against the Go server --------------------------------

/// The Go server on an ephemeral port; killed when the returned child drops.
async fn start_go_server(bins: &Path, args: &[&str]) -> (SocketAddr, Child) {
    let mut child = Command::new(bins.join("go-server"))
        .args(["-addr", "127.0.0.1:0", "-quiet"])
        .args(args)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting go-server");
    let stdout = child.stdout.take().expect("piped stdout");
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await
        .expect("reading go-server's stdout")
        .expect("go-server exited before listening");
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("expected `listening on <addr>`, got {line:?}"))
        .parse()
        .expect("a socket address");
    (addr, child)
}

/// Sends `msgs` all at once through one `Client` and checks every answer.
async fn call_all(client: &Client, msgs: Vec<Message>) {
    let calls = msgs.into_iter().map(|msg| {
        let client = client.clone();
        async move {
            let resp = client.oneshot(msg.clone()).await;
            (msg, resp)
        }
    });
    for (msg, resp) in join_all(calls).await {
        let resp = resp.unwrap_or_else(|e| panic!("{msg:?}: {e}"));
        assert_eq!(resp.uid, msg.uid);
        assert_eq!(resp.val, format!("{TAG}{}", msg.val));
        assert_rfc3339_nano(&resp.ts);
    }
}

per_engine! {
    /// The Go client's test from jsonmux's client, on each client engine, against the Go server.
    async fn the_jsonmux_client_gets_the_hello_answers_from_the_go_server(engine: Engine) {
        let Some(bins) = go_bins().await else {
            return;
        };
        bounded("jsonmux client against go-server", async {
            let (addr, _server) = start_go_server(bins, &[]).await;
            let client = ClientBuilder::new().engine(engine).connect(addr).await.unwrap();
            // The Go client's test: one Uid used twice, one call after the other.
            for val in ["pixelpig!", "another pig!"] {
                call_all(&client, vec![Message::new("pixel-1", val)]).await;
            }
        })
        .await;
    }
}

per_engine! {
    /// Answers out of order from the concurrent Go server reach their callers, on each client engine.
    async fn the_jsonmux_client_routes_out_of_order_answers_from_a_concurrent_go_server(
        engine: Engine,
    ) {
        let Some(bins) = go_bins().await else {
            return;
        };
        bounded("jsonmux client against go-server -concurrent", async {
            let args = ["-concurrent", "-delay-ms-max", "2"];
            let (addr, _server) = start_go_server(bins, &args).await;
            let client = ClientBuilder::new().engine(engine).connect(addr).await.unwrap();
            let msgs = (0..IN_FLIGHT)
                .map(|i| Message::new(format!("pixel-{i}"), format!("pig {i}")))
                .collect();
            call_all(&client, msgs).await;
        })
        .await;
    }
}
