//! [`Raw`]: a client socket that speaks bytes, for wire-level tests.

use std::net::SocketAddr;

use jsonmux::{Code, Resp};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::time::bounded;

/// A raw client socket that speaks bytes.
pub(crate) struct Raw {
    pub(crate) reader: BufReader<OwnedReadHalf>,
    pub(crate) writer: OwnedWriteHalf,
}

impl Raw {
    /// Connects with `TCP_NODELAY`: every write leaves at once, so the
    /// server sees it before the test's next step (which a paused clock
    /// relies on).
    pub(crate) async fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (r, w) = stream.into_split();
        Raw {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    pub(crate) async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// Reads one `\n`-terminated line; `None` at end of stream.
    pub(crate) async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = bounded("a line from the server", self.reader.read_line(&mut line))
            .await
            .unwrap();
        (n > 0).then_some(line)
    }

    /// Reads one line and parses it as a response.
    pub(crate) async fn resp(&mut self) -> Resp {
        let line = self.line().await.expect("a response, not end of stream");
        assert!(
            line.ends_with('\n'),
            "responses end with a newline: {line:?}"
        );
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    /// Asserts the server closes the connection (no more lines).
    pub(crate) async fn expect_eof(&mut self) {
        assert_eq!(self.line().await, None, "expected the server to close");
    }

    /// Reads an error answer about the whole connection (no `Uid`) with
    /// `code`; returns its message.
    pub(crate) async fn expect_connection_error(&mut self, code: Code) -> String {
        let r = self.resp().await;
        assert_eq!((r.uid.as_str(), r.code), ("", Some(code)), "{r:?}");
        r.error.expect("an error answer has a message")
    }

    /// [`expect_connection_error`](Self::expect_connection_error), then
    /// the close that follows it.
    pub(crate) async fn expect_error_then_close(&mut self, code: Code) -> String {
        let message = self.expect_connection_error(code).await;
        self.expect_eof().await;
        message
    }
}

/// A new connection to the server at `addr` still gets its answer.
pub(crate) async fn still_serves(addr: SocketAddr) {
    let mut raw = Raw::connect(addr).await;
    raw.send(br#"{"Uid":"normal","Val":"client"}"#).await;
    assert_eq!(raw.resp().await.val, "server: hello, client");
}
