//! [`KeptUid`]: a request's `Uid`, kept to address its answer.

/// `Uid`s up to this many bytes are kept without an allocation: the
/// jsonmux client's own (27 bytes and less), a UUID's 36, the Go
/// client's.
const SHORT: usize = 46;

/// A copy of a request's `Uid`, kept while its handler owns the request.
///
/// A handler's answer usually carries the `Uid` already (it moved the
/// request's into it): it is then left as it is, and a short `Uid` costs
/// no allocation at all. Only an answer with another `Uid` (or none), or
/// an error answer made here, gets a new string.
#[derive(Debug)]
pub(super) enum KeptUid {
    Short { len: u8, bytes: [u8; SHORT] },
    Long(String),
}

impl KeptUid {
    pub(super) fn new(uid: &str) -> Self {
        match u8::try_from(uid.len()) {
            Ok(len) if uid.len() <= SHORT => {
                let mut bytes = [0; SHORT];
                bytes[..uid.len()].copy_from_slice(uid.as_bytes());
                KeptUid::Short { len, bytes }
            }
            _ => KeptUid::Long(uid.to_owned()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            KeptUid::Short { len, bytes } => &bytes[..usize::from(*len)],
            KeptUid::Long(uid) => uid.as_bytes(),
        }
    }

    /// Puts the kept `Uid` on `uid`, unless it is there already.
    pub(super) fn address(self, uid: &mut String) {
        if uid.as_bytes() != self.as_bytes() {
            *uid = self.into_string();
        }
    }

    /// The kept `Uid`, as a string of its own.
    pub(super) fn into_string(self) -> String {
        match self {
            KeptUid::Short { .. } => self.to_str().to_owned(),
            KeptUid::Long(uid) => uid,
        }
    }

    /// The kept `Uid`.
    pub(super) fn to_str(&self) -> &str {
        // Copied whole from a `str`: always UTF-8.
        std::str::from_utf8(self.as_bytes()).expect("a Uid is a str")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_uids_are_kept_whole() {
        for uid in [
            "",
            "pixel-1",
            &"é".repeat(23),
            &"x".repeat(SHORT),
            &"y".repeat(SHORT + 1),
        ] {
            let kept = KeptUid::new(uid);
            assert_eq!(kept.to_str(), uid);
            assert_eq!(matches!(kept, KeptUid::Long(_)), uid.len() > SHORT);
            assert_eq!(kept.into_string(), uid);
        }
    }

    #[test]
    fn an_answer_is_addressed_to_the_kept_uid_whatever_it_carried() {
        for carried in ["pixel-1", "", "pixel-2", "pixel-10"] {
            let mut uid = carried.to_owned();
            KeptUid::new("pixel-1").address(&mut uid);
            assert_eq!(uid, "pixel-1");
        }
    }
}
