use proptest::prelude::*;

use crate::{Message, Resp};

/// What serde reads from `frame`, as the fast reader would give it.
fn serde_message(frame: &str) -> Option<Message> {
    serde_json::from_str(frame).ok()
}

#[test]
fn the_common_shapes_are_read_as_serde_reads_them() {
    for frame in [
        r#"{"Uid":"pixel-1","Val":"pixelpig!"}"#,
        r#"  {"uid":"a","VAL":"b","Sq":7,"Dl":4990}"#,
        r#"{"Uid":null,"Val":"a","val":"b"}"#,
        r#"{"Uid":"x","Sq":3,"Cancel":true}"#,
        r#"{}"#,
        "{ \"Uid\" : \"é😀\" ,\n\"Val\":\"\" }",
    ] {
        let (fast, len) = Message::read_fast(frame.as_bytes(), 1 << 20).expect(frame);
        assert_eq!(len, frame.len(), "{frame}");
        let serde = serde_message(frame).unwrap();
        assert_eq!((&fast, fast.ext), (&serde, serde.ext), "{frame}");
    }
    let frame = r#"{"Uid":"a","Val":"v","Ts":"t","Error":"","Code":"not_found","Sq":9}"#;
    let (fast, _) = Resp::read_fast(frame.as_bytes(), 1 << 20).unwrap();
    assert_eq!(fast, serde_json::from_str::<Resp>(frame).unwrap());
}

#[test]
fn anything_else_is_left_to_serde() {
    for frame in [
        r#"{"Uid":"a\"b","Val":"x"}"#,
        r#"{"Uid":"a","Val":"x","extra":1}"#,
        r#"{"Uid":"a","Val":7}"#,
        r#"{"Uid":"a","Val":"x","Sq":-1}"#,
        r#"{"Uid":"a","Val":"x","Sq":1.5}"#,
        r#"{"Uid":"a","Val":"x","Sq":07}"#,
        r#"{"Uid":"a","Val":"x","Sq":1e3}"#,
        r#"{"Uid":"a","Val":"x","Sq":1,"Dl":2.0}"#,
        r#"{"Uid":"a","Val":"x","Sq":12345678901234567890}"#,
        r#"{"Uid":"a","Val":"x","Ts":"t"}"#,
        r#"{"Uid":"a","Val":"x",}"#,
        r#"{"Uid":"a","Val":"x""#,
        r#"{"Uid":"a"   "#,
        "{\"Uid\":\"a\u{1}\"}",
        r#"["Uid"]"#,
        "",
    ] {
        assert!(
            Message::read_fast(frame.as_bytes(), 1 << 20).is_none(),
            "{frame}"
        );
    }
    let frame = br#"{"Uid":"a","Val":"0123456789"}"#;
    assert!(Message::read_fast(frame, frame.len()).is_some());
    assert!(
        Message::read_fast(frame, frame.len() - 1).is_none(),
        "over the limit"
    );
}

/// Keys in any case and order, values plain or not, the fast reader
/// either reads what serde reads or leaves the frame to it.
fn frame() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "Uid", "uid", "UID", "Val", "vAl", "Sq", "sq", "Dl", "DL", "Cancel", "Ts", "x",
    ]);
    let value = prop::sample::select(vec![
        r#""plain""#,
        r#""""#,
        r#""é""#,
        r#""a\"b""#,
        "null",
        "0",
        "7",
        "18446744073709551615",
        "18446744073709551616",
        "-3",
        "1.5",
        "true",
        "false",
        "[]",
        "{}",
    ]);
    let space = prop::sample::select(vec!["", " ", "\n", "\t\r "]);
    prop::collection::vec((space.clone(), key, space.clone(), value, space), 0..6).prop_map(
        |pairs| {
            let body: Vec<String> = pairs
                .iter()
                .map(|(a, k, b, v, c)| format!("{a}\"{k}\"{b}:{c}{v}"))
                .collect();
            format!("{{{}}}", body.join(","))
        },
    )
}

proptest! {
    #[test]
    fn written_frames_are_read_as_serde_reads_them(
        uid in ".{0,8}",
        val in ".{0,8}",
        seq in prop::option::of(prop_oneof![0..100_000u64, any::<u64>()]),
        budget in prop::option::of(prop_oneof![0..100_000u64, any::<u64>()]),
        ts in ".{0,4}",
        error in prop::option::of(".{0,4}"),
    ) {
        let plain = |s: &str| s.chars().all(|c| c != '"' && c != '\\' && c >= ' ');
        let mut buf = bytes::BytesMut::new();
        crate::proto::write::request(&mut buf, &Message::new(uid.clone(), val.clone()), seq, budget);
        let frame = std::str::from_utf8(&buf).unwrap().trim_end();
        let as_written = super::written::written_request(frame.as_bytes(), 1 << 20);
        // Numbers of up to 19 digits are read as written; longer ones by serde.
        let short = |n: Option<u64>| n.is_none_or(|n| n < 10u64.pow(19));
        let expected = plain(&uid) && plain(&val) && short(seq) && short(budget);
        prop_assert_eq!(as_written.is_some(), expected, "{}", frame);
        if let Some((fast, len)) = Message::read_fast(frame.as_bytes(), 1 << 20) {
            prop_assert_eq!(len, frame.len());
            let serde = serde_message(frame).unwrap();
            prop_assert_eq!((&fast, fast.ext), (&serde, serde.ext));
        }
        let mut resp = Resp::new(uid, val);
        resp.error = error;
        resp.seq = seq;
        let mut buf = bytes::BytesMut::new();
        let plain_answer = plain(&resp.uid)
            && plain(&resp.val)
            && plain(&ts)
            && resp.error.as_deref().is_none_or(plain)
            && short(seq);
        crate::proto::write::answer(&mut buf, &resp, &ts, seq.map(|_| &b"42"[..]));
        let frame = std::str::from_utf8(&buf).unwrap().trim_end();
        let as_written = super::written::written_answer(frame.as_bytes(), 1 << 20);
        prop_assert_eq!(as_written.is_some(), plain_answer, "{}", frame);
        if let Some((fast, len)) = Resp::read_fast(frame.as_bytes(), 1 << 20) {
            prop_assert_eq!(len, frame.len());
            prop_assert_eq!(fast, serde_json::from_str::<Resp>(frame).unwrap());
        }
    }
}

proptest! {
    #[test]
    fn eight_digits_reads_what_a_digit_at_a_time_reads(
        bytes in prop::array::uniform8(prop_oneof![b'0'..=b'9', any::<u8>()])
    ) {
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let value = bytes[..digits].iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0'));
        prop_assert_eq!(super::cursor::eight_digits(u64::from_le_bytes(bytes)), (value, digits));
    }
}

proptest! {
    #[test]
    fn the_fast_reader_never_disagrees_with_serde(frame in frame()) {
        if let Some((fast, len)) = Message::read_fast(frame.as_bytes(), 1 << 20) {
            prop_assert_eq!(len, frame.len());
            let serde = serde_message(&frame);
            prop_assert!(serde.is_some(), "serde refuses what the fast reader read: {}", frame);
            let serde = serde.unwrap();
            prop_assert_eq!((&fast, fast.ext), (&serde, serde.ext));
        }
    }
}
