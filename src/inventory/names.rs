//! Which package names a `Cargo.lock` may hold. Both lockfile readers call [`check_name`], so
//! they accept and refuse the same names.
//!
//! A name ends up in file paths (the crates-index cache), URLs and terminal output, so a
//! hostile lockfile must not smuggle `../`, `/`, control characters or escape sequences
//! through it. Registry packages follow the crates.io rules (ASCII letters, digits, `-` and
//! `_`, starting with a letter, at most 64 characters); path and git packages follow cargo's
//! own rule for package names (letters and digits of any script, `-` and `_`).

/// The longest name of a path or git package we accept (cargo sets no limit; real ones are
/// far shorter).
const MAX_LOCAL_NAME: usize = 256;

/// Whether `name` follows the crates.io rules. Byte-level: cheap enough for the fast reader.
pub fn is_crates_io_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_alphabetic()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Why `name` is refused for a package from a registry (`registry == true`) or from a path or
/// git source, or `None` when it is accepted.
pub fn check_name(name: &str, registry: bool) -> Option<&'static str> {
    if registry {
        if is_crates_io_name(name) {
            return None;
        }
        return Some(
            "not a valid registry crate name (ASCII letters, digits, `-`, `_`, starting with a \
             letter, at most 64 characters)",
        );
    }
    if name.is_empty() {
        return Some("empty package name");
    }
    if name.len() > MAX_LOCAL_NAME {
        return Some("package name longer than 256 bytes");
    }
    if name.chars().any(char::is_control) {
        return Some("package name holds control characters");
    }
    if name.contains(['/', '\\']) {
        return Some("package name holds a path separator");
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Some(
            "package name holds characters cargo never writes (letters, digits, `-`, `_` only)",
        );
    }
    None
}

/// Whether a `source` string is a registry (crates.io or another index).
pub fn is_registry_source(source: Option<&str>) -> bool {
    source.is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_refused_by_both_rules() {
        for name in [
            "",
            "../../../../x",
            "a/b",
            "a\\b",
            "app\u{1b}[2J\u{1b}[31mOWNED\u{7}",
            "a b",
            "a\nb",
            "a.b",
        ] {
            assert!(check_name(name, true).is_some(), "{name:?}");
            assert!(check_name(name, false).is_some(), "{name:?}");
        }
        assert!(check_name("ünïcode", true).is_some());
        assert!(check_name("ünïcode", false).is_none());
        assert!(check_name("1abc", true).is_some());
        assert!(check_name(&"a".repeat(65), true).is_some());
        for ok in ["serde", "serde_json", "tokio-util", "A1"] {
            assert!(check_name(ok, true).is_none(), "{ok}");
            assert!(check_name(ok, false).is_none(), "{ok}");
        }
    }
}
