//! Finding the end of a string's plain run: the bytes JSON writes as they
//! are, up to the first `"`, `\` or control character, eight at a time.

/// Eight copies of a byte's lowest bit.
const ONES: u64 = 0x0101_0101_0101_0101;
/// Eight copies of a byte's highest bit.
const HIGH: u64 = 0x80 * ONES;

/// Where the first `"`, `\` or byte below 0x20 in `bytes` is, or its
/// length if there is none.
#[inline]
pub(super) fn run(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        if special(u64::from_le_bytes(*chunk)) {
            break;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(bytes.len() - at)
}

/// One of the eight bytes in `x` is `"`, `\` or below 0x20. (Each test
/// below is exact for "some byte is": a false flag can only follow a true
/// one.)
#[inline(always)]
fn special(x: u64) -> bool {
    let below_space = x.wrapping_sub(0x20 * ONES) & !x & HIGH;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let quote = zero(x ^ (u64::from(b'"') * ONES));
    let backslash = zero(x ^ (u64::from(b'\\') * ONES));
    below_space | quote | backslash != 0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_run_ends_at_the_first_special_byte(
            bytes in prop::collection::vec(
                prop_oneof![4 => b' '..=b'~', 1 => any::<u8>()],
                0..40,
            )
        ) {
            let first = bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(bytes.len());
            prop_assert_eq!(super::run(&bytes), first);
        }
    }
}
