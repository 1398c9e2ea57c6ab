use std::error::Error as _;
use std::io;
use std::sync::Arc;

use tower::BoxError;

use super::*;
use crate::CodecError;

#[test]
fn closed_keeps_its_reason_as_source() {
    let e = Error::Closed(CloseReason::PeerClosed);
    assert_eq!(e.to_string(), "connection closed");
    assert_eq!(e.report(), "connection closed: closed by the peer");
    assert!(matches!(
        e.source().unwrap().downcast_ref(),
        Some(CloseReason::PeerClosed)
    ));
}

#[test]
fn tower_errors_convert_to_variants() {
    let elapsed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
    assert!(Error::from(elapsed).is_timeout());
    let shed: BoxError = Box::new(tower::load_shed::error::Overloaded::new());
    assert!(Error::from(shed).is_overloaded());
    let ours: BoxError = Box::new(Error::DuplicateUid("a".into()));
    assert!(matches!(Error::from(ours), Error::DuplicateUid(u) if u == "a"));
}

#[test]
fn tower_errors_are_recognised_by_reference() {
    let shed: BoxError = Box::new(tower::load_shed::error::Overloaded::new());
    assert!(Error::from_ref(&*shed).is_some_and(|e| e.is_overloaded() && e.is_retryable()));
    let elapsed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
    assert!(Error::from_ref(&*elapsed).is_some_and(|e| e.is_timeout() && !e.is_retryable()));
    let theirs: BoxError = "no pigs today".into();
    assert!(Error::from_ref(&*theirs).is_none());
}

#[test]
fn a_foreign_error_is_other_and_keeps_its_message() {
    let theirs: BoxError = "no pigs today".into();
    let e = Error::from(theirs);
    assert!(matches!(e, Error::Other(_)));
    assert_eq!(e.to_string(), "no pigs today");
}

#[test]
fn an_overloaded_answer_is_overloaded_and_others_keep_their_code() {
    assert!(Error::from_answer(Some(Code::Overloaded), "x".into()).is_overloaded());
    let e = Error::from_answer(Some(Code::NotFound), "no pig".into());
    assert!(
        matches!(e, Error::Server { code: Code::NotFound, ref message } if message == "no pig")
    );
    let e = Error::from_answer(None, "?".into());
    assert!(matches!(
        e,
        Error::Server {
            code: Code::Unknown,
            ..
        }
    ));
}

#[test]
fn codec_errors_are_protocol_reasons_except_io() {
    let io = CodecError::from(io::Error::other("boom"));
    assert!(matches!(CloseReason::from(io), CloseReason::Io(_)));
    assert!(matches!(
        CloseReason::from(CodecError::FrameTooLarge(8)),
        CloseReason::Protocol(CodecError::FrameTooLarge(8))
    ));
}

#[test]
fn only_errors_that_never_reached_a_handler_are_retryable() {
    let refused = Arc::new(Error::Connect(Arc::new(
        io::ErrorKind::ConnectionRefused.into(),
    )));
    let going_away = CloseReason::Server {
        code: Code::GoingAway,
        message: "bye".into(),
    };
    for retryable in [
        Error::Overloaded,
        Error::Unavailable(refused.clone()),
        Error::Timeout(Some(refused)),
        Error::DuplicateUid("a".into()),
        Error::Closed(going_away),
    ] {
        assert!(retryable.is_retryable(), "{retryable:?}");
    }
    let handler = Error::Server {
        code: Code::Handler,
        message: "boom".into(),
    };
    let stopped = Arc::new(Error::Server {
        code: Code::Timeout,
        message: "stopped at the caller's deadline".into(),
    });
    for not in [
        Error::Timeout(None),
        Error::Timeout(Some(stopped)),
        Error::Closed(CloseReason::PeerClosed),
        handler,
        Error::ClientClosed,
    ] {
        assert!(!not.is_retryable(), "{not:?}");
    }
}

#[test]
fn an_invalid_option_names_itself_and_its_value() {
    let e = Error::invalid("pool_size", 0usize, "must be at least 1");
    assert_eq!(e.to_string(), "invalid pool_size 0: must be at least 1");
    assert!(matches!(
        e,
        Error::InvalidOption {
            option: "pool_size",
            ..
        }
    ));
}
