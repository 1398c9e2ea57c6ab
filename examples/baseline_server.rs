//! A minimal hand-written tokio server for the Go peers' wire format: the
//! baseline `scripts/compare-servers.sh` measures jsonmux's server against.
//!
//! One task per connection: read into a buffer, stream-decode requests with
//! serde_json, answer each with [`jsonmux::hello`], and write all the
//! answers of one read with one write. No tower, no limits, no timeouts, no
//! error answers: only what answering needs, so it shows what the
//! hardening costs.
//!
//! ```sh
//! cargo run --release --example baseline_server -- --addr 127.0.0.1:3000
//! ```

use clap::Parser;
use jsonmux::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves the Go server's hello service with a minimal hand-written loop.
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(&args.addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(serve(stream));
    }
}

async fn serve(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut input = Vec::with_capacity(8 * 1024);
    let mut output = Vec::with_capacity(8 * 1024);
    loop {
        match stream.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut requests = serde_json::Deserializer::from_slice(&input).into_iter::<Message>();
        let mut used = 0;
        while let Some(msg) = requests.next() {
            match msg {
                Ok(msg) => {
                    serde_json::to_writer(&mut output, &jsonmux::HelloService::hello(msg))
                        .expect("a Resp always serializes");
                    output.push(b'\n');
                    used = requests.byte_offset();
                }
                Err(e) if e.is_eof() => break,
                Err(_) => return,
            }
        }
        input.drain(..used);
        if stream.write_all(&output).await.is_err() {
            return;
        }
        output.clear();
    }
}
