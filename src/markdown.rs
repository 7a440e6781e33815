//! The one Markdown escaper: every imported or recorded text that goes into a Markdown table
//! cell of a report (audit, verify, the quarterly report) passes through [`cell`].

/// A table cell: backslashes and pipes escaped, one line. Escaping the backslash first
/// matters: a text ending in `\` must not turn the next `\|` into a literal backslash and a
/// column break.
pub fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_cannot_open_a_column_or_a_row() {
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(cell("a\\|b"), "a\\\\\\|b");
        assert_eq!(cell("end\\"), "end\\\\");
        assert_eq!(cell("one\ntwo\r\nthree"), "one two  three");
        // Whatever the text, the cell holds no unescaped pipe.
        for text in ["|", "\\|", "\\\\|", "x\\", "|\\|"] {
            let c = cell(text);
            let mut escaped = false;
            for ch in c.chars() {
                assert!(escaped || ch != '|', "{text:?} -> {c:?}");
                escaped = !escaped && ch == '\\';
            }
        }
    }
}
