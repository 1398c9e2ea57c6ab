//! The extension's negotiation, as the bytes show it: a Go peer (here, a
//! raw socket that speaks the Go peers' wire) sees nothing it would not
//! get from a Go peer, and either side can turn the extension off.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use jsonmux::{ClientBuilder, JsonCodec, Message, ServerBuilder};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_util::codec::Framed;
use tower::ServiceExt;

use crate::support::engines::per_engine;
use crate::support::raw::Raw;
use crate::support::server::TestServer;
use crate::support::time::{bounded, with_paused_clock};

/// The keys of a JSON object.
fn keys(frame: &serde_json::Value) -> BTreeSet<&str> {
    let object = frame.as_object().expect("a JSON object");
    object.keys().map(String::as_str).collect()
}

per_engine! {
    /// A client that sends the Go peers' requests gets answers with exactly `Uid`, `Val` and `Ts`, and no other frame.
    async fn a_plain_client_gets_exactly_the_go_fields_and_no_other_frame(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"a","Val":"b"}{"Uid":"c","Val":"wait:g"}"#).await;
        server.gates.arrived("g", 1).await;
        let first: serde_json::Value = serde_json::from_str(&raw.line().await.unwrap()).unwrap();
        assert_eq!(keys(&first), BTreeSet::from(["Uid", "Val", "Ts"]), "{first}");
        server.gates.open("g");
        let second: serde_json::Value = serde_json::from_str(&raw.line().await.unwrap()).unwrap();
        assert_eq!(keys(&second), BTreeSet::from(["Uid", "Val", "Ts"]), "{second}");
        raw.writer.shutdown().await.unwrap();
        raw.expect_eof().await;
        server.stop().await;
    }
}

/// Reads every frame a client sends to a peer that never answers (like a
/// Go server that is slow), until the client closes the connection.
async fn frames_from_a_silent_peer(listener: TcpListener) -> Vec<serde_json::Value> {
    let (stream, _) = listener.accept().await.unwrap();
    let mut framed = Framed::new(stream, JsonCodec::<serde_json::Value>::new());
    let mut frames = Vec::new();
    while let Some(Ok(frame)) = framed.next().await {
        frames.push(frame);
    }
    frames
}

per_engine! {
    /// A server that has not answered with the request numbers (a Go server) gets only requests from a jsonmux client, even when its calls time out.
    fn a_plain_server_sees_only_requests_from_a_jsonmux_client(engine: Engine) {
        with_paused_clock(move || async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let peer = tokio::spawn(frames_from_a_silent_peer(listener));
            let client = ClientBuilder::new()
                .engine(engine)
                .pool_size(1)
                .request_timeout(Some(Duration::from_millis(50)))
                .connect(addr)
                .await
                .unwrap();
            for i in 0..3 {
                let call = client.clone().oneshot(Message::new(format!("t{i}"), "x"));
                assert!(call.await.unwrap_err().is_timeout());
            }
            client.close().await;
            let frames = bounded("the client's frames", peer).await.unwrap();
            assert_eq!(frames.len(), 3, "{frames:?}");
            for frame in &frames {
                let allowed = BTreeSet::from(["Uid", "Val", "Sq", "Dl"]);
                assert!(keys(frame).is_subset(&allowed), "not a request: {frame}");
                assert!(frame["Uid"].is_string() && frame["Val"].is_string(), "{frame}");
            }
        })
    }
}

per_engine! {
    /// With the extension off, a client sends only `Uid` and `Val`, and keeps a call given up on reserved instead of cancelling it.
    fn with_the_extension_off_the_client_sends_the_go_peers_requests_only(engine: Engine) {
        with_paused_clock(move || async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let peer = tokio::spawn(frames_from_a_silent_peer(listener));
            let client = ClientBuilder::new()
                .engine(engine)
                .extension(false)
                .pool_size(1)
                .request_timeout(Some(Duration::from_millis(50)))
                .connect(addr)
                .await
                .unwrap();
            let call = client.clone().oneshot(Message::new("t", "x"));
            assert!(call.await.unwrap_err().is_timeout());
            assert_eq!(client.stats().in_flight, 1, "reserved for its late answer");
            client.endpoints().remove(addr);
            let frames = bounded("the client's frames", peer).await.unwrap();
            assert_eq!(frames, [serde_json::json!({"Uid": "t", "Val": "x"})]);
        })
    }
}

per_engine! {
    /// With the extension off, a server answers without the numbers, keeps no deadline, and answers a cancel like any request.
    async fn with_the_extension_off_the_server_answers_as_a_go_server_would(engine: Engine) {
        let builder = ServerBuilder::new().engine(engine).extension(false);
        let server = TestServer::start_with(builder).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"a","Val":"x","Sq":1,"Dl":0}"#).await;
        let answer: serde_json::Value = serde_json::from_str(&raw.line().await.unwrap()).unwrap();
        assert_eq!(keys(&answer), BTreeSet::from(["Uid", "Val", "Ts"]), "{answer}");
        assert_eq!(answer["Val"], "server: hello, x", "its deadline ignored");
        raw.send(br#"{"Uid":"b","Sq":2,"Cancel":true}"#).await;
        let answer: serde_json::Value = serde_json::from_str(&raw.line().await.unwrap()).unwrap();
        assert_eq!((answer["Uid"].as_str(), answer["Val"].as_str()), (Some("b"), Some("server: hello, ")));
        assert_eq!(server.stats.snapshot().cancels_received, 0);
        server.stop().await;
    }
}

per_engine! {
    /// Cancels for numbers never sent cost a lookup each and disturb nobody: the peer's requests and another connection's are answered.
    async fn cancels_for_numbers_never_sent_disturb_nobody(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let mut flood = Raw::connect(server.addr).await;
        let mut other = Raw::connect(server.addr).await;
        let mut bytes = Vec::new();
        for seq in 0..5_000u64 {
            bytes.extend(format!(r#"{{"Uid":"x{seq}","Sq":{seq},"Cancel":true}}"#).bytes());
        }
        bytes.extend(br#"{"Uid":"after","Val":"flood","Sq":9}"#);
        flood.send(&bytes).await;
        other.send(br#"{"Uid":"calm","Val":"x"}"#).await;
        assert_eq!(other.resp().await.uid, "calm");
        let answer = flood.resp().await;
        assert_eq!((answer.uid.as_str(), answer.val.as_str()), ("after", "server: hello, flood"));
        let stats = server.stats.snapshot();
        assert_eq!((stats.cancels_received, stats.handlers_cancelled), (5_000, 0));
        assert_eq!(stats.requests, 2);
        server.stop().await;
    }
}

per_engine! {
    /// Budgets too long for a clock, or not numbers at all, are no deadline: the request is answered and the connection goes on.
    async fn budgets_no_clock_can_hold_are_no_deadline(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"huge","Val":"a","Sq":1,"Dl":18446744073709551615}"#).await;
        raw.send(br#"{"Uid":"long","Val":"b","Sq":2,"Dl":9999999999999999999}"#).await;
        raw.send(br#"{"Uid":"text","Val":"c","Sq":3,"Dl":"soon"}"#).await;
        raw.send(br#"{"Uid":"real","Val":"d","Sq":4,"Dl":1.5}"#).await;
        let mut answered = Vec::new();
        for _ in 0..4 {
            let answer = raw.resp().await;
            assert_eq!(answer.error, None, "{answer:?}");
            answered.push(answer.uid);
        }
        answered.sort();
        assert_eq!(answered, ["huge", "long", "real", "text"]);
        server.stop().await;
    }
}

per_engine! {
    /// A shed request's answer gives a jsonmux client its `Val` back (and no `Ld`: nothing waited), so the client can send it again without a copy; a Go client's is the plain error answer.
    async fn a_shed_answer_gives_a_jsonmux_client_its_request_back(engine: Engine) {
        let builder = ServerBuilder::new().engine(engine).max_concurrent_requests(Some(1));
        let server = TestServer::start_with(builder).await;
        let mut holder = Raw::connect(server.addr).await;
        holder.send(br#"{"Uid":"held","Val":"wait:held","Sq":1}"#).await;
        server.gates.arrived("held", 1).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"ext","Val":"pixelpig!","Sq":7}"#).await;
        let answer: serde_json::Value = serde_json::from_str(&raw.line().await.unwrap()).unwrap();
        assert_eq!(keys(&answer), BTreeSet::from(["Uid", "Val", "Ts", "Error", "Code", "Sq"]), "{answer}");
        assert_eq!((answer["Val"].as_str(), answer["Code"].as_str()), (Some("pixelpig!"), Some("overloaded")));
        raw.send(br#"{"Uid":"go","Val":"pixelpig!"}"#).await;
        let answer: serde_json::Value = serde_json::from_str(&raw.line().await.unwrap()).unwrap();
        assert_eq!(keys(&answer), BTreeSet::from(["Uid", "Val", "Ts", "Error", "Code"]), "{answer}");
        assert_eq!(answer["Val"], "", "the plain error answer");
        server.gates.open("held");
        server.stop().await;
    }
}
