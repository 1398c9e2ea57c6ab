//! The wire as raw bytes against the jsonmux server, on each engine: what
//! the Go peers send.

use crate::support::engines::per_engine;
use crate::support::raw::{still_serves, Raw};
use crate::support::server::TestServer;
use jsonmux::{Code, ServerBuilder};
use tokio::io::AsyncWriteExt;

/// `Ts` looks like Go's RFC3339Nano in UTC: `2006-01-02T15:04:05[.fraction]Z`.
fn assert_go_timestamp(ts: &str) {
    let b = ts.as_bytes();
    let shape_ok = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && ts.ends_with('Z');
    let frac = &ts[19..ts.len() - 1];
    let frac_ok = frac.is_empty()
        || (frac.starts_with('.')
            && (2..=10).contains(&frac.len())
            && frac[1..].bytes().all(|c| c.is_ascii_digit())
            && !frac.ends_with('0'));
    assert!(shape_ok && frac_ok, "not an RFC3339Nano UTC time: {ts:?}");
}

per_engine! {
    /// The Go client's two requests, pipelined with nothing between them, are both answered.
    async fn the_go_clients_pipelined_bytes_without_newlines_are_all_answered(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"pixel-1","Val":"pixelpig!"}{"Uid":"pixel-2","Val":"another pig!"}"#)
            .await;
        let mut got = vec![raw.resp().await, raw.resp().await];
        got.sort_by(|a, b| a.uid.cmp(&b.uid));
        assert_eq!(got[0].uid, "pixel-1");
        assert_eq!(got[0].val, "server: hello, pixelpig!");
        assert_eq!(got[1].uid, "pixel-2");
        assert_eq!(got[1].val, "server: hello, another pig!");
        for r in &got {
            assert_go_timestamp(&r.ts);
            assert_eq!(r.error, None);
        }
        server.stop().await;
    }
}

per_engine! {
    /// An answer is one compact JSON line with the Go peers' key names, in order.
    async fn answers_are_compact_json_lines_with_the_go_key_names(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(b"{\"Uid\":\"a\",\"Val\":\"x\"}\n").await;
        let line = raw.line().await.unwrap();
        let prefix = r#"{"Uid":"a","Val":"server: hello, x","Ts":""#;
        assert!(
            line.starts_with(prefix) && line.ends_with("\"}\n"),
            "{line:?}"
        );
        server.stop().await;
    }
}

per_engine! {
    /// Keys are matched case-insensitively and unknown fields ignored, like Go.
    async fn lowercase_and_odd_case_keys_and_unknown_fields_are_read_like_go(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#" {"uid":"low","VAL":"case","Extra":{"n":[1,2]}} "#)
            .await;
        let r = raw.resp().await;
        assert_eq!(
            (r.uid.as_str(), r.val.as_str()),
            ("low", "server: hello, case")
        );
        server.stop().await;
    }
}

per_engine! {
    /// A request split over many 3-byte writes and lines is answered once whole.
    async fn a_request_split_over_many_writes_and_lines_is_answered_once_complete(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        let wire = b"{\n  \"Uid\": \"split\",\n  \"Val\": \"in {many} \\\"pieces\\\"\"\n}";
        for chunk in wire.chunks(3) {
            raw.send(chunk).await;
        }
        let r = raw.resp().await;
        assert_eq!(r.uid, "split");
        assert_eq!(r.val, "server: hello, in {many} \"pieces\"");
        server.stop().await;
    }
}

per_engine! {
    /// A frame over the limit gets an error answer and a close; other connections are served.
    async fn an_over_limit_frame_gets_an_error_answer_and_a_close_while_others_are_served(
        engine: Engine,
    ) {
        let builder = ServerBuilder::new().engine(engine).max_frame_len(1024);
        let server = TestServer::start_with(builder).await;
        let mut bystander = Raw::connect(server.addr).await;
        let mut hostile = Raw::connect(server.addr).await;

        hostile
            .send(br#"{"Uid":"ok","Val":"first"}{"Uid":"big","Val":""#)
            .await;
        hostile.send(&[b'x'; 4096]).await;
        assert_eq!(hostile.resp().await.val, "server: hello, first");
        let msg = hostile.expect_error_then_close(Code::FrameTooLarge).await;
        assert!(msg.contains("1024 byte limit"), "{msg}");

        bystander.send(br#"{"Uid":"still","Val":"here"}"#).await;
        assert_eq!(bystander.resp().await.val, "server: hello, here");
        still_serves(server.addr).await;
        server.stop().await;
    }
}

per_engine! {
    /// Malformed JSON's error answer waits for the held request before it, then the close.
    async fn malformed_json_is_answered_with_an_error_after_the_good_requests_before_it(
        engine: Engine,
    ) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"slow","Val":"wait:slow"}{"Uid":"good","Val":"x"}{"Uid":oops}"#)
            .await;
        assert_eq!(raw.resp().await.uid, "good");
        server.gates.arrived("slow", 1).await;
        server.gates.open("slow");
        assert_eq!(raw.resp().await.uid, "slow", "before the error");
        let msg = raw.expect_error_then_close(Code::BadRequest).await;
        assert!(msg.starts_with("invalid message"), "{msg}");
        server.stop().await;
    }
}

per_engine! {
    /// A wrong-typed field or a non-object gets an error answer and a close; the server stays up.
    async fn a_wrong_typed_field_and_a_non_object_are_errors_not_crashes(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        for bad in [&br#"{"Uid":1,"Val":"x"}"#[..], b"[1,2]", b"\"str\""] {
            let mut raw = Raw::connect(server.addr).await;
            raw.send(bad).await;
            raw.expect_error_then_close(Code::BadRequest).await;
        }
        still_serves(server.addr).await;
        server.stop().await;
    }
}

per_engine! {
    /// A frame cut off by the client's close gets an error answer after the requests before it.
    async fn a_half_frame_then_close_is_answered_with_an_error_and_the_server_stays_up(
        engine: Engine,
    ) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"whole","Val":"a"}{"Uid":"half","#)
            .await;
        raw.writer.shutdown().await.unwrap();
        assert_eq!(raw.resp().await.uid, "whole");
        let msg = raw.expect_error_then_close(Code::BadRequest).await;
        assert!(msg.contains("middle of a frame"), "{msg}");
        still_serves(server.addr).await;
        server.stop().await;
    }
}

per_engine! {
    /// A handler's error is the answer to its own request; the connection goes on.
    async fn a_handler_error_is_answered_for_that_request_only(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"bad","Val":"fail:boom"}"#).await;
        let r = raw.resp().await;
        assert_eq!((r.uid.as_str(), r.error.as_deref()), ("bad", Some("boom")));
        raw.send(br#"{"Uid":"good","Val":"x"}"#).await;
        assert_eq!(raw.resp().await.val, "server: hello, x");
        server.stop().await;
    }
}

per_engine! {
    /// A handler that leaves `Ts` empty gets the time of the write its answer goes out in.
    async fn a_handler_that_leaves_ts_empty_gets_the_time_of_its_write(engine: Engine) {
        let builder = ServerBuilder::new().engine(engine);
        let server = TestServer::start_at("127.0.0.1:0", builder, |_| {
            tower::service_fn(|msg: jsonmux::Message| async move {
                Ok::<_, std::convert::Infallible>(jsonmux::Resp::new(msg.uid, "oink"))
            })
        })
        .await;
        let mut raw = Raw::connect(server.addr).await;
        raw.send(br#"{"Uid":"a","Val":"x"}{"Uid":"b","Val":"y"}"#).await;
        for _ in 0..2 {
            let resp = raw.resp().await;
            assert_eq!(resp.val, "oink");
            assert_go_timestamp(&resp.ts);
        }
        server.stop().await;
    }
}
