//! `Uid`s that never bite: a pool routes a call to a connection where its
//! `Uid` is free, and the tagged mode puts the connection's own tags on
//! the wire.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use jsonmux::client::UidMode;
use jsonmux::{ClientBuilder, Error, JsonCodec, Message, Resp};
use tokio::net::TcpListener;
use tokio_util::codec::Framed;

use crate::support::calls::{send, three_up};
use crate::support::engines::per_engine;
use crate::support::server::TestServer;
use crate::support::time::{bounded, with_paused_clock};

per_engine! {
    /// A timed-out call's `Uid` is retried on another of the 3 connections, even where its own is least loaded.
    fn a_retry_after_a_timeout_with_the_same_uid_on_a_pool_of_3_succeeds(engine: Engine) {
        with_paused_clock(move || async move {
            let server = TestServer::start().await;
            let deadline = Duration::from_secs(1);
            let client = three_up(
                ClientBuilder::new().engine(engine).request_timeout(Some(deadline)),
                server.addr,
            )
            .await;

            // x goes to the first connection (all idle) and times out there:
            // its Uid stays taken until the answer held at "late" arrives.
            let timed_out = send(&client, "x", "wait:late").await.await.unwrap_err();
            assert!(timed_out.is_timeout(), "{timed_out:?}");
            // Least-loaded picks: f0, f1 on the other two, f2 on x's, then f3,
            // f4 on the other two again: 2 in flight on each.
            let mut fillers = Vec::new();
            for i in 0..5 {
                fillers.push(send(&client, &format!("f{i}"), &format!("wait:f{i}")).await);
                server.gates.arrived(&format!("f{i}"), 1).await;
            }
            // f2 answered: x's connection is back to 1 (its tombstone), the least loaded.
            server.gates.open("f2");
            let f2 = fillers.remove(2);
            assert_eq!(f2.await.unwrap().uid, "f2");
            assert_eq!(client.endpoints().status()[0].connections, 3);

            let retry = send(&client, "x", "again").await.await.unwrap();
            assert_eq!(
                (retry.uid.as_str(), retry.val.as_str()),
                ("x", "server: hello, again")
            );
            for gate in ["late", "f0", "f1", "f3", "f4"] {
                server.gates.open(gate);
            }
            for f in fillers {
                f.await.unwrap();
            }
            server.stop().await;
        });
    }
}

per_engine! {
    /// A `Uid` goes to each of the 3 connections in turn, and only a fourth call with it is refused.
    async fn a_uid_in_flight_on_every_connection_is_refused_with_duplicate_uid(engine: Engine) {
        let server = TestServer::start().await;
        let client = three_up(ClientBuilder::new().engine(engine), server.addr).await;
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(send(&client, "d", "wait:d").await);
        }
        server.gates.arrived("d", 3).await;
        let refused = send(&client, "d", "x").await.await.unwrap_err();
        assert!(
            matches!(&refused, Error::DuplicateUid(u) if u == "d"),
            "{refused:?}"
        );
        server.gates.open("d");
        for call in held {
            assert_eq!(bounded("a held call", call).await.unwrap().uid, "d");
        }
        server.stop().await;
    }
}

per_engine! {
    /// In tagged mode the server sees distinct tags; two callers with one `Uid` each get their own answer.
    async fn tagged_mode_answers_two_callers_with_the_same_uid_on_one_connection(engine: Engine) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A peer that reads two requests, then answers them in reverse order,
        // echoing the Uids it saw on the wire.
        let peer = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut framed = Framed::new(stream, JsonCodec::<Message>::new());
            let first = framed.next().await.unwrap().unwrap();
            let second = framed.next().await.unwrap().unwrap();
            for req in [&second, &first] {
                let resp = Resp::new(req.uid.clone(), format!("answer to {}", req.val));
                framed.send(resp).await.unwrap();
            }
            [first.uid, second.uid]
        });
        let client = ClientBuilder::new().engine(engine)
            .pool_size(1)
            .uid_mode(UidMode::Tagged)
            .connect(addr)
            .await
            .unwrap();

        let one = send(&client, "same", "one").await;
        let two = send(&client, "same", "two").await;
        let (one, two) = (bounded("one", one).await, bounded("two", two).await);
        assert_eq!(
            (one.unwrap(), two.unwrap()),
            (
                Resp::new("same", "answer to one"),
                Resp::new("same", "answer to two")
            )
        );
        let [wire_one, wire_two] = bounded("the peer", peer).await.unwrap();
        assert_ne!(wire_one, wire_two, "each request has its own tag");
        assert!(
            wire_one != "same" && wire_two != "same",
            "the server sees tags"
        );
    }
}
