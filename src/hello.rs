//! [`HelloService`]: the Go blog post's server as a tower service.

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::task::{Context, Poll};

use tower::Service;

use crate::{Message, Resp};

/// The Go blog post's server as a tower service: answers every
/// [`Message`] with `Val = "server: hello, " + Val`, leaving `Ts` to the
/// server, which stamps the time it writes the answer (once for all the
/// answers of one write). What the examples serve, and what the Go peers
/// expect. ([`HelloService::hello`] stamps the time itself.)
///
/// # Examples
///
/// ```
/// use jsonmux::{HelloService, Message};
/// use tower::{Service, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let resp = HelloService.oneshot(Message::new("pixel-1", "pixelpig!")).await.unwrap();
/// assert_eq!(resp.uid, "pixel-1");
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// assert!(resp.ts.is_empty(), "the server's to fill in");
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct HelloService;

impl Service<Message> for HelloService {
    type Response = Resp;
    type Error = Infallible;
    type Future = Ready<Result<Resp, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, msg: Message) -> Self::Future {
        ready(Ok(HelloService::answer(msg)))
    }
}

impl HelloService {
    /// What the service puts before every `Val`.
    pub const PREFIX: &'static str = "server: hello, ";

    /// The service's answer to `msg`, stamped with the current time, for
    /// handlers of your own that answer the same way.
    ///
    /// ```
    /// use jsonmux::{HelloService, Message};
    ///
    /// let resp = HelloService::hello(Message::new("pixel-1", "pixelpig!"));
    /// assert_eq!(resp.val, format!("{}pixelpig!", HelloService::PREFIX));
    /// ```
    pub fn hello(msg: Message) -> Resp {
        let mut resp = HelloService::answer(msg);
        resp.ts = crate::timestamp::now();
        resp
    }

    /// The answer to `msg`, its `Ts` left for the server to fill in.
    fn answer(msg: Message) -> Resp {
        let mut val = msg.val;
        val.insert_str(0, HelloService::PREFIX);
        Resp::new(msg.uid, val)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_prefixes_val_and_keeps_uid() {
        let r = HelloService::hello(Message::new("u", "v"));
        assert_eq!(
            (r.uid.as_str(), r.val.as_str(), r.error),
            ("u", "server: hello, v", None)
        );
        assert!(r.ts.ends_with('Z'));
    }
}
