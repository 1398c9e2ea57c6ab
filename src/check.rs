//! The one rule every builder option follows, checked at the builder's
//! terminal call (`connect`, `bind`, …): a count is at least 1 and a time
//! limit on a peer, a call or a handler is above zero. `None` turns an
//! option off where off means something; a zero limit never does (it would
//! refuse, close or cut everything at once), so it is refused, naming the
//! option and the value given. Only a wait whose zero is a choice of its
//! own is exempt: the shutdown's grace and drain (none: stop at once) and
//! `SO_LINGER` (zero: an abortive close).

use std::time::Duration;

use crate::Error;

/// `n` counts something: at least 1.
pub(crate) fn count(option: &'static str, n: usize) -> Result<(), Error> {
    match n {
        0 => Err(Error::invalid(option, n, "must be at least 1")),
        _ => Ok(()),
    }
}

/// `n` counts something, or is off: `None` or at least 1.
pub(crate) fn some_count(option: &'static str, n: Option<usize>) -> Result<(), Error> {
    match n {
        Some(0) => Err(Error::invalid(option, n, "must be at least 1, or None")),
        _ => Ok(()),
    }
}

/// `d` is a length of time: above zero.
pub(crate) fn time(option: &'static str, d: Duration) -> Result<(), Error> {
    match d.is_zero() {
        true => Err(Error::invalid(option, d, "must be above zero")),
        false => Ok(()),
    }
}

/// `d` is a length of time, or is off: `None` or above zero.
pub(crate) fn some_time(option: &'static str, d: Option<Duration>) -> Result<(), Error> {
    match d.is_some_and(|d| d.is_zero()) {
        true => Err(Error::invalid(option, d, "must be above zero, or None")),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_refused_naming_the_option_and_none_is_off() {
        assert!(count("pool_size", 1).is_ok());
        let e = count("pool_size", 0).unwrap_err();
        assert_eq!(e.to_string(), "invalid pool_size 0: must be at least 1");
        assert!(some_count("buffer", None).is_ok());
        assert!(some_count("buffer", Some(0)).is_err());
        assert!(time("dial_timeout", Duration::from_millis(1)).is_ok());
        assert!(time("dial_timeout", Duration::ZERO).is_err());
        let e = some_time("read_timeout", Some(Duration::ZERO)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid read_timeout Some(0ns): must be above zero, or None"
        );
        assert!(some_time("read_timeout", None).is_ok());
    }
}
