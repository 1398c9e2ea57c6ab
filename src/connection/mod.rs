//! One multiplexed client connection: many calls in flight over one
//! stream, each answer routed to its caller by `Uid`.
//!
//! ```text
//! Connection (Clone) ── call: take the Uid in the in-flight table, queue the request
//!        │ queue, bounded in bytes (Backlog;         ▲ answer by Uid (or the cause, if it ends)
//!        │ past it a request waits in its call)      │
//!        ▼                                           │
//! Background task (Dispatch) ── batched writes ─► stream ─► decode ─┘
//!
//! shared by both: Mutex<InFlight + Health>, the Backlog, the cause of the end, the kill switch
//! ```
//!
//! * [`Connection`]: the handle, a tower `Service`; [`Connection::new`]
//!   spawns the task, [`Connection::pair`] hands it to you as a
//!   [`Background`] future.
//! * `InFlight`: who waits for which `Uid` (duplicates refused, abandoned
//!   calls leave a reservation, counted by age in `Ages`), a plain state
//!   machine.
//! * `Link`: how calls reach the engine, and the one place a connection's
//!   engine is chosen and started.
//! * `Backlog`: the bytes of requests not yet written, bounded; a call
//!   past the bound keeps its request (`Held`) until there is room, and a
//!   request whose caller gave up before it was written is dropped unsent.
//! * [`UidMode`](crate::client::UidMode): the caller's `Uid` on the wire, or a tag of the
//!   connection's (`Tags`) given back as the caller's `Uid` in the answer.
//! * `Health`: dead-peer detection (silence with calls waiting, a peer that
//!   takes no bytes, timeouts in a row), fed only by answers to the
//!   connection's own calls; and the bound on reservations (too many, too
//!   old), which retires the connection. A [`Pool`](crate::Pool) asks it
//!   and replaces the connection.
//! * `Cancels`: with a server that speaks jsonmux's extension (it gave a
//!   request's number back), the cancel frames of calls given up on, for
//!   the engine to write; their `Uid`s are free at once.
//! * Draining (`Shared::drain`): on the server's going-away notice, or when
//!   a pool closes, the connection takes no new call, lets its calls in
//!   flight finish, and ends after the last; a pool replaces it at once.
//!
//! That is jsonmux's engine. With
//! [`Engine::TokioTower`](crate::Engine) (a builder's or pool's option) the
//! background is tokio-tower's instead, behind the same `Connection`, the
//! same in-flight table and the same `Health`:
//!
//! ```text
//! Connection ── call: take the Uid in the in-flight table ─► Feed ─► multiplex::Client's task
//!      ▲ answer (or the cause)                                       │ one-slot hand-off, pumped
//!      │                                                             ▼
//!      └── tokio-tower's hand-over ◄── Shared::route ◄── decode ◄── Transport (deferred flush) ⇄ stream
//! ```

mod ages;
mod backlog;
mod cancels;
pub(crate) mod dial;
mod dispatch;
mod future;
mod health;
mod held;
mod inflight;
pub(crate) mod latency;
mod link;
pub(crate) mod options;
mod queued;
mod send;
pub(crate) mod service;
mod shared;
mod stats;
#[cfg(feature = "tokio-tower")]
mod tokio_tower;
pub(crate) mod uid_mode;
mod watch;
mod wire;

pub(crate) use dial::Dialer;
pub use dispatch::Background;
pub use future::ResponseFuture;
pub(crate) use options::ConnectionOptions;
pub(crate) use service::Connection;
pub use stats::CallCounts;
pub(crate) use stats::CallStats;
