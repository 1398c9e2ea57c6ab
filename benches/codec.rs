//! [`JsonCodec`] throughput: decoding request streams as the server reads
//! them, and encoding answers as it writes them.
//!
//! * `decode/newline_separated`: 1000 small requests, one per line.
//! * `decode/no_separator`: the same requests back to back, as the Go
//!   client sends them.
//! * `decode/frames_64k`: 16 requests of 64 KiB each, all in the buffer.
//! * `decode/frames_64k_in_4k_reads`: the same, arriving 4 KiB at a time
//!   (the scanner resumes where it stopped instead of rescanning).
//! * `encode/small_resp`: 1000 small answers.
//!
//! ```sh
//! cargo bench --bench codec
//! ```

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput};
use jsonmux::{JsonCodec, Message, Resp};
use std::hint::black_box;
use std::time::Duration;
use tokio_util::codec::{Decoder, Encoder};

const SMALL: usize = 1_000;
const LARGE: usize = 16;
const LARGE_LEN: usize = 64 * 1024;
const READ: usize = 4 * 1024;

/// `n` requests with `val`, each followed by `sep`.
fn wire(n: usize, val: &str, sep: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        serde_json::to_writer(&mut out, &Message::new(format!("pixel-{i}"), val)).unwrap();
        out.extend_from_slice(sep);
    }
    out
}

/// Decodes every frame in `buf`; returns how many there were.
fn decode_all(codec: &mut JsonCodec<Message>, buf: &mut BytesMut) -> usize {
    let mut n = 0;
    while let Some(msg) = codec.decode(buf).unwrap() {
        black_box(msg);
        n += 1;
    }
    n
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("codec/decode");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let val = "pixelpig! 0123456789";
    let large_val = "a".repeat(LARGE_LEN - r#"{"Uid":"pixel-00","Val":""}"#.len());
    let cases = [
        ("newline_separated", wire(SMALL, val, b"\n"), SMALL),
        ("no_separator", wire(SMALL, val, b""), SMALL),
        ("frames_64k", wire(LARGE, &large_val, b"\n"), LARGE),
    ];
    for (name, bytes, frames) in &cases {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(*name, |b| {
            b.iter_batched_ref(
                || BytesMut::from(&bytes[..]),
                |buf| assert_eq!(decode_all(&mut JsonCodec::new(), buf), *frames),
                BatchSize::LargeInput,
            );
        });
    }

    let (_, bytes, frames) = &cases[2];
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("frames_64k_in_4k_reads", |b| {
        let mut buf = BytesMut::with_capacity(2 * LARGE_LEN);
        b.iter(|| {
            let mut codec = JsonCodec::new();
            let mut n = 0;
            for read in bytes.chunks(READ) {
                buf.extend_from_slice(read);
                n += decode_all(&mut codec, &mut buf);
            }
            assert_eq!(n, *frames);
        });
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let resps: Vec<Resp> = (0..SMALL)
        .map(|i| {
            let mut resp = Resp::new(format!("pixel-{i}"), "server: hello, pixelpig! 0123456789");
            resp.ts = "2026-11-25T08:01:08.123456789Z".into();
            resp
        })
        .collect();
    let mut codec = JsonCodec::<Message>::new();
    let mut buf = BytesMut::new();
    for r in &resps {
        codec.encode(r, &mut buf).unwrap();
    }

    let mut g = c.benchmark_group("codec/encode");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(buf.len() as u64));
    g.bench_function("small_resp", |b| {
        b.iter(|| {
            buf.clear();
            for r in &resps {
                codec.encode(r, &mut buf).unwrap();
            }
            black_box(&buf);
        });
    });
    g.finish();
}

// What `criterion_group!` + `criterion_main!` expand to, minus the
// undocumented `pub fn` that `missing_docs` rejects.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    decode(&mut c);
    encode(&mut c);
    c.final_summary();
}
