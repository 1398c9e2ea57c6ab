//! The gateway itself: an axum router whose handlers share one jsonmux
//! [`Client`], and [`run`], which serves it until shutdown, with a jsonmux
//! server in the same process unless it is given an upstream.

use std::future::Future;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use jsonmux::{Addr, Client, ClientBuilder, Error, HelloService, Message, Server};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::{BoxError, ServiceExt};

/// `GET /hello/{name}`: the upstream's answer to `name`, as text.
///
/// Each request is one call on `client`, which every handler shares (its
/// clones share the connections), with a fresh `Uid`: HTTP requests that
/// arrive at once never collide.
pub(crate) fn router(client: Client) -> Router {
    Router::new()
        .route("/hello/{name}", get(hello))
        .with_state(client)
}

async fn hello(
    State(client): State<Client>,
    Path(name): Path<String>,
) -> Result<String, (StatusCode, String)> {
    match client.oneshot(Message::with_fresh_uid(name)).await {
        Ok(resp) => Ok(resp.val),
        Err(e) => Err((status_for(&e), e.report())),
    }
}

/// The HTTP status for a failed call: the upstream's time, load or
/// availability as 504 or 503, anything else it said as 502.
fn status_for(e: &Error) -> StatusCode {
    match e {
        Error::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        Error::Overloaded | Error::Unavailable(_) | Error::NoEndpoints => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// Serves the gateway on `listener` until `shutdown` completes, calling
/// `upstream`, or, if `None`, a jsonmux server (the Go server's
/// [`HelloService`]) it starts on an ephemeral loopback port.
///
/// Shutdown drains in order: the HTTP side first (every request already
/// read gets its answer, so the calls it makes are answered too), then
/// the jsonmux server.
pub(crate) async fn run(
    listener: TcpListener,
    upstream: Option<Addr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    let stop_upstream = CancellationToken::new();
    let (upstream, in_process) = match upstream {
        Some(addr) => (addr, None),
        None => {
            let server = Server::builder().bind("127.0.0.1:0").await?;
            let addr = server.local_addr()?;
            tracing::info!(%addr, "jsonmux server in process");
            let stopped = stop_upstream.clone().cancelled_owned();
            let serving = tokio::spawn(server.serve(HelloService, stopped));
            (Addr::from(addr), Some(serving))
        }
    };
    let client = ClientBuilder::new().connect(upstream).await?;
    axum::serve(listener, router(client))
        .with_graceful_shutdown(shutdown)
        .await?;
    stop_upstream.cancel();
    if let Some(serving) = in_process {
        serving.await??;
    }
    Ok(())
}
