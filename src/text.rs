//! Slicing text without a panic. `clippy::string_slice` is on: `&s[a..b]` panics when an
//! offset falls inside a character, and text we print comes from hostile inputs (names,
//! commit ids, dates, lines holding secrets), so every slice goes through here.
//!
//! Offsets that came from a search of the same text (a regex or Aho-Corasick match, `find`)
//! are always character boundaries; should one not be, [`slice`] yields empty text rather
//! than a panic, so output can lose text but never gain any.

use std::slice::SliceIndex;

/// `s[range]`, or `""` when the range is out of bounds or splits a character.
pub fn slice<R: SliceIndex<str, Output = str>>(s: &str, range: R) -> &str {
    s.get(range).unwrap_or("")
}

/// The first `max_chars` characters of `s` (all of it when shorter): a commit id shortened
/// for display, the date of a timestamp.
pub fn prefix(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((end, _)) => slice(s, ..end),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_splits_a_character() {
        assert_eq!(prefix("0123456789abcdef", 12), "0123456789ab");
        assert_eq!(prefix("abc", 12), "abc");
        assert_eq!(prefix("ééééé", 2), "éé");
        assert_eq!(prefix("2026-11-25T12:00:00Z", 10), "2026-11-25");
        assert_eq!(slice("ab€cd", 1..3), "", "inside the euro sign");
        assert_eq!(slice("ab€cd", 2..5), "€");
        assert_eq!(slice("ab", 1..9), "");
    }
}
