//! How peers may write the wire: strings spelled with any escapes, objects
//! the way Go's `encoding/json` reads them, streams of them, and junk.

use std::fmt::Write as _;

use bytes::BytesMut;
use jsonmux::{Code, CodecError, JsonCodec, Message, Resp};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use tokio_util::codec::Encoder;

/// JSON's whitespace, as found between objects and between tokens.
const WS: &[&str] = &["", " ", "\t", "\r\n", "\n"];

/// A string and, for each character, how to spell it in JSON (raw, a short
/// escape or `\uXXXX`), so that one value is written many ways.
#[derive(Clone, Debug)]
struct Spelled(Vec<(char, u8)>);

impl Spelled {
    /// The string the JSON text stands for.
    fn value(&self) -> String {
        self.0.iter().map(|&(c, _)| c).collect()
    }

    /// The string as a JSON string literal.
    fn json(&self) -> String {
        let mut out = String::from('"');
        for &(c, how) in &self.0 {
            let short = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '/' => Some("\\/"),
                '\u{8}' => Some("\\b"),
                '\u{c}' => Some("\\f"),
                '\n' => Some("\\n"),
                '\r' => Some("\\r"),
                '\t' => Some("\\t"),
                _ => None,
            };
            let may_be_raw = c != '"' && c != '\\' && c >= ' ';
            match (how % 4, short) {
                (0, Some(s)) => out.push_str(s),
                (0 | 2 | 3, _) if may_be_raw => out.push(c),
                (2, Some(s)) => out.push_str(s),
                _ => {
                    // `\uXXXX`, a surrogate pair outside the BMP, either hex case.
                    for unit in c.encode_utf16(&mut [0; 2]) {
                        let _ = match how & 4 {
                            0 => write!(out, "\\u{unit:04x}"),
                            _ => write!(out, "\\u{unit:04X}"),
                        };
                    }
                }
            }
        }
        out.push('"');
        out
    }
}

/// Characters that matter to a scanner and an escaper, and any other.
fn wire_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => select(&['"', '\\', '/', '{', '}', '[', ']', ':', ',', ' '][..]),
        2 => (0u8..0x20).prop_map(char::from),
        3 => prop::char::range('a', 'z'),
        2 => select(&['\u{7f}', 'é', 'ß', '€', '中', '\u{2028}', '\u{feff}', '😀', '🐷', '\u{10ffff}'][..]),
        2 => any::<char>(),
    ]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(wire_char(), 0..max).prop_map(String::from_iter)
}

fn spelled(max: usize) -> impl Strategy<Value = Spelled> {
    prop::collection::vec((wire_char(), any::<u8>()), 0..max).prop_map(Spelled)
}

/// The key `name` with each letter in either ASCII case, raw or escaped.
fn key(name: &'static str) -> impl Strategy<Value = Spelled> {
    prop::collection::vec((any::<bool>(), any::<u8>()), name.len()).prop_map(move |how| {
        let chars = name.chars().zip(how).map(|(c, (upper, spelling))| {
            let c = match upper {
                true => c.to_ascii_uppercase(),
                false => c.to_ascii_lowercase(),
            };
            (c, spelling)
        });
        Spelled(chars.collect())
    })
}

fn ws() -> impl Strategy<Value = &'static str> {
    select(WS)
}

/// What may separate two objects: nothing, or a run of whitespace.
pub(crate) fn separator() -> impl Strategy<Value = String> {
    prop::collection::vec(ws(), 0..3).prop_map(|w| w.concat())
}

/// Any JSON value as text, nested a few levels, for keys a message ignores.
fn json_value() -> impl Strategy<Value = String> {
    let literals =
        "null true false 0 -0 12 -7.25 6.02E+23 1e400 -1.5e-300 123456789012345678901234567890";
    let leaf = prop_oneof![
        select(literals.split(' ').collect::<Vec<_>>()).prop_map(str::to_owned),
        spelled(8).prop_map(|s| s.json()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec((ws(), inner.clone(), ws()), 0..4).prop_map(|items| {
                let items: Vec<_> = items.iter().map(|(a, v, b)| format!("{a}{v}{b}")).collect();
                format!("[{}]", items.join(","))
            }),
            prop::collection::vec((spelled(6), ws(), inner), 0..4).prop_map(|members| {
                let mut out = String::from("{");
                for (i, (k, w, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{w}{}{w}:{w}{v}{w}", k.json());
                }
                out.push('}');
                out
            }),
        ]
    })
}

/// One `key: value` of a hand-written object.
#[derive(Clone, Debug)]
enum Member {
    /// `Uid` (when true) or `Val`, with a string or `null`.
    Field(bool, Spelled, Option<Spelled>),
    /// A key `Message` does not have, with any value.
    Other(Spelled, String),
}

fn member() -> impl Strategy<Value = Member> {
    let other_key = prop_oneof![
        prop_oneof![key("ts"), key("error"), key("code"), key("uidx"), key("va")],
        spelled(6),
    ]
    .prop_filter("a Message field", |k| {
        let k = k.value();
        !k.eq_ignore_ascii_case("uid") && !k.eq_ignore_ascii_case("val")
    });
    prop_oneof![
        3 => (key("uid"), prop::option::weighted(0.85, spelled(12)))
            .prop_map(|(k, v)| Member::Field(true, k, v)),
        3 => (key("val"), prop::option::weighted(0.85, spelled(12)))
            .prop_map(|(k, v)| Member::Field(false, k, v)),
        2 => (other_key, json_value()).prop_map(|(k, v)| Member::Other(k, v)),
    ]
}

/// One object of a stream and the message a Go reader makes of it.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub(crate) msg: Message,
    /// The object's bytes, without what separates it from the next.
    pub(crate) text: String,
}

/// Writes `members` as an object with whitespace from `pads` between tokens,
/// and works out the message as Go's reader would: a field takes the last
/// string given for it; `null` and unknown keys change nothing.
fn written(members: Vec<Member>, pads: Vec<&'static str>) -> Frame {
    let mut pads = pads.into_iter().cycle();
    let mut pad = move || pads.next().unwrap_or("");
    let (mut msg, mut text) = (Message::default(), String::from("{"));
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(pad());
        let (k, v) = match m {
            Member::Field(_, k, None) => (k, "null".to_owned()),
            Member::Field(uid, k, Some(v)) => {
                *(if *uid { &mut msg.uid } else { &mut msg.val }) = v.value();
                (k, v.json())
            }
            Member::Other(k, v) => (k, v.clone()),
        };
        let _ = write!(text, "{}{}:{}{v}{}", k.json(), pad(), pad(), pad());
    }
    text.push('}');
    Frame { msg, text }
}

/// Encodes `item` with the codec's encoder.
pub(crate) fn encode<T>(item: T) -> BytesMut
where
    JsonCodec<T>: Encoder<T, Error = CodecError>,
{
    let mut out = BytesMut::new();
    JsonCodec::<T>::new().encode(item, &mut out).unwrap();
    out
}

pub(crate) fn message() -> impl Strategy<Value = Message> {
    (text(24), text(24)).prop_map(|(uid, val)| Message::new(uid, val))
}

/// An object as the encoder writes it, or as a person or another program may.
pub(crate) fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        message().prop_map(|msg| {
            let line = encode(msg.clone());
            let text = std::str::from_utf8(&line[..line.len() - 1])
                .unwrap()
                .to_owned();
            Frame { msg, text }
        }),
        (
            prop::collection::vec(member(), 0..6),
            prop::collection::vec(ws(), 16)
        )
            .prop_map(|(members, pads)| written(members, pads)),
    ]
}

/// A stream of objects with separators around them.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    pub(crate) frames: Vec<Frame>,
    pub(crate) wire: String,
}

impl Stream {
    pub(crate) fn messages(&self) -> Vec<Message> {
        self.frames.iter().map(|f| f.msg.clone()).collect()
    }
}

pub(crate) fn stream() -> impl Strategy<Value = Stream> {
    let frames = prop::collection::vec((separator(), frame()), 0..8);
    (frames, separator()).prop_map(|(frames, tail)| {
        let mut wire = String::new();
        for (sep, f) in &frames {
            wire.push_str(sep);
            wire.push_str(&f.text);
        }
        wire.push_str(&tail);
        Stream {
            frames: frames.into_iter().map(|(_, f)| f).collect(),
            wire,
        }
    })
}

/// Bytes no peer should send: any at all, JSON's punctuation at random
/// (inside an object or not), and a valid stream with a few bytes overwritten.
pub(crate) fn junk() -> impl Strategy<Value = Vec<u8>> {
    let punctuation = || select(&b"{}[]\":,\\ \n\tuU0az\xc3\xa9\xff"[..]);
    let overwrite = prop::collection::vec((any::<Index>(), any::<u8>()), 1..4);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..1024),
        prop::collection::vec(punctuation(), 0..1024),
        prop::collection::vec(punctuation(), 0..1024).prop_map(|b| [&b"{"[..], &b].concat()),
        (stream(), overwrite).prop_map(|(stream, overwrite)| {
            let mut wire = stream.wire.into_bytes();
            for (at, byte) in overwrite {
                if !wire.is_empty() {
                    let at = at.index(wire.len());
                    wire[at] = byte;
                }
            }
            wire
        }),
    ]
}

fn code() -> impl Strategy<Value = Code> {
    use Code::*;
    select(
        &[
            Handler,
            Timeout,
            Overloaded,
            InvalidArgument,
            NotFound,
            PermissionDenied,
            Unauthenticated,
            Unavailable,
            BadRequest,
            FrameTooLarge,
            FrameTimeout,
            IdleTimeout,
            WriteTimeout,
            TooManyConnections,
            Unknown,
        ][..],
    )
}

pub(crate) fn resp() -> impl Strategy<Value = Resp> {
    let fields = (text(24), text(24), text(40));
    let error = (prop::option::of(text(24)), prop::option::of(code()));
    (fields, error).prop_map(|((uid, val, ts), (error, code))| {
        let mut resp = Resp::new(uid, val);
        (resp.ts, resp.error, resp.code) = (ts, error, code);
        resp
    })
}
