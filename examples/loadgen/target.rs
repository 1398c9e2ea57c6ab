//! Which client drives the load, and one connection of it.

use std::time::Duration;

use clap::ValueEnum;
use jsonmux::{ClientBuilder, Message, Resp};
use tokio::time::Instant;
use tower::{Service, ServiceExt};

use crate::raw::RawClient;
use crate::ready::wait_connected;
use crate::stats::Failure;
use crate::Args;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ClientKind {
    /// jsonmux's ready stack (`jsonmux::Client`), one per connection.
    Stack,
    /// One `jsonmux::Client` whose pool holds all `--conns` connections
    /// (spread over the addresses), shared by every worker.
    Pool,
    /// The hand-written baseline client (TCP only).
    Raw,
    /// Every call on a connection of its own: dial (and TLS handshake),
    /// one call, close. Measures connection setup: `rps` is connections
    /// per second.
    Dial,
}

/// What a jsonmux client did for its calls beyond sending them once.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub(crate) struct PoolCounts {
    /// Calls sent again after an answer that said nothing ran.
    pub(crate) retries: u64,
    /// Such calls the retry budget kept from going again.
    pub(crate) retries_refused: u64,
    /// Copies of slow calls sent (`--hedge`).
    pub(crate) hedges: u64,
    /// Copies that answered first.
    pub(crate) hedges_won: u64,
}

impl std::ops::Add for PoolCounts {
    type Output = PoolCounts;
    fn add(self, o: PoolCounts) -> PoolCounts {
        PoolCounts {
            retries: self.retries + o.retries,
            retries_refused: self.retries_refused + o.retries_refused,
            hedges: self.hedges + o.hedges,
            hedges_won: self.hedges_won + o.hedges_won,
        }
    }
}

/// One connection, as either client; clones share it.
#[derive(Clone)]
pub(crate) enum Target {
    Stack(jsonmux::Client),
    Raw(RawClient),
    /// Dials `addr` anew for every call, each call bounded by the timeout.
    Dial(Box<ClientBuilder>, String, Duration),
}

impl Target {
    /// Connects, and for a stack or a pool waits until all its connections
    /// are up; gives up at `deadline` (the end of the start-up wait) with
    /// what failed.
    pub(crate) async fn connect(
        args: &Args,
        addrs: &[String],
        inflight: usize,
        deadline: Instant,
    ) -> Result<Target, String> {
        let startup = args.startup_timeout.unwrap_or(args.timeout);
        let stack = |pool_size: usize| -> Result<ClientBuilder, String> {
            let builder = ClientBuilder::new()
                .engine(args.engine.into())
                .pool_size(pool_size)
                .concurrency_limit(Some(inflight))
                .pack_up_to(args.pack_up_to)
                .buffer(args.buffer)
                .dial_timeout(args.timeout)
                .request_timeout(Some(args.timeout))
                .busy_poll(
                    (args.busy_poll_us > 0).then(|| Duration::from_micros(args.busy_poll_us)),
                )
                .extension(args.extension == crate::Switch::On)
                .hedge(args.hedge);
            let builder = match args.retries {
                crate::Switch::On => builder,
                crate::Switch::Off => builder.retry_budget(0.0, 0),
            };
            args.tls.apply(builder)
        };
        match args.client {
            ClientKind::Stack | ClientKind::Pool => {
                let pool_size = args.conns.div_ceil(addrs.len()).max(1);
                let pool_size = if args.client == ClientKind::Pool {
                    pool_size
                } else {
                    1
                };
                let client = stack(pool_size)?;
                let client =
                    match tokio::time::timeout_at(deadline, client.connect_all(addrs)).await {
                        Ok(connected) => connected.map_err(|e| e.report())?,
                        Err(_) => return Err(format!("no connection up after {startup:?}")),
                    };
                // Start measuring once every connection of the pool is up.
                let want = pool_size * addrs.len();
                wait_connected(client.endpoints(), want, deadline)
                    .await
                    .map_err(|e| format!("pool not ready after {startup:?}: {e}"))?;
                Ok(Target::Stack(client))
            }
            ClientKind::Dial => Ok(Target::Dial(
                Box::new(stack(1)?),
                addrs[0].clone(),
                args.timeout,
            )),
            ClientKind::Raw if args.tls.tls_ca.is_some() => {
                Err("--client raw speaks plain TCP only".into())
            }
            ClientKind::Raw => {
                match tokio::time::timeout_at(deadline, RawClient::connect(&addrs[0])).await {
                    Ok(Ok(raw)) => Ok(Target::Raw(raw.with_timeout(Some(args.timeout)))),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("not connected after {startup:?}")),
                }
            }
        }
    }

    /// What the client did for its calls beyond sending them once.
    pub(crate) fn pool_counts(&self) -> Option<PoolCounts> {
        let Target::Stack(client) = self else {
            return None;
        };
        let stats = client.stats();
        Some(PoolCounts {
            retries: stats.retries,
            retries_refused: stats.retries_refused,
            hedges: stats.hedges,
            hedges_won: stats.hedges_won,
        })
    }

    /// True when no call can succeed any more: the raw client does not
    /// reconnect (the stack does, so it is never dead).
    pub(crate) fn is_dead(&self) -> bool {
        matches!(self, Target::Raw(raw) if raw.is_closed())
    }

    pub(crate) async fn call(&mut self, msg: Message) -> Result<Resp, Failure> {
        match self {
            Target::Stack(client) => {
                let svc = client.ready().await.map_err(Failure::stack)?;
                svc.call(msg).await.map_err(Failure::stack)
            }
            Target::Dial(builder, addr, timeout) => {
                let conn = builder.dial(&*addr).await.map_err(Failure::stack)?;
                // A bare connection has no request timeout of its own.
                match tokio::time::timeout(*timeout, conn.oneshot(msg)).await {
                    Ok(answer) => answer.map_err(Failure::stack),
                    Err(_) => Err(Failure::stack(jsonmux::Error::Timeout(None))),
                }
            }
            Target::Raw(raw) => match raw.call(msg).await {
                Ok(resp) => match resp.error {
                    Some(e) => Err(Failure::new("server", e)),
                    None => Ok(resp),
                },
                Err(e) => Err(Failure::new(e.kind(), e.to_string())),
            },
        }
    }
}
