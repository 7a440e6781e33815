//! Package URLs of type `cargo` (purl-spec `PURL-TYPES.rst`): `pkg:cargo/NAME@VERSION`, with a
//! qualifier saying where the package comes from when that is not crates.io (`repository_url`
//! for other registries, `vcs_url` for git, `download_url=file:` for path packages).
//!
//! Hand-written (about 60 lines) rather than a dependency: we build and parse only this one
//! purl type, and the parser must refuse anything it does not fully understand.

pub const CRATES_IO_SOURCE: &str = "registry+https://github.com/rust-lang/crates.io-index";
const CRATES_IO_SPARSE: &str = "sparse+https://index.crates.io/";

/// The purl of a package. `binary_source` is what a binary records when `source` is unknown.
pub fn cargo_purl(
    name: &str,
    version: &str,
    source: Option<&str>,
    binary_source: Option<&str>,
) -> String {
    let base = format!("pkg:cargo/{}@{}", encode(name), encode(version));
    let qualifier = match (source, binary_source) {
        (Some(s), _) if s == CRATES_IO_SOURCE || s == CRATES_IO_SPARSE => None,
        (Some(s), _) if s.starts_with("git+") => Some(("vcs_url", s.to_string())),
        (Some(s), _) => Some((
            "repository_url",
            s.trim_start_matches("registry+")
                .trim_start_matches("sparse+")
                .to_string(),
        )),
        (None, Some("crates.io")) => None,
        (None, Some("local")) | (None, None) => Some(("download_url", "file:".to_string())),
        (None, Some(other)) => Some(("repository_url", format!("{other}:unknown"))),
    };
    match qualifier {
        None => base,
        Some((key, value)) => format!("{base}?{key}={}", encode(&value)),
    }
}

/// A parsed `pkg:cargo` purl: name, version, and whether it names a crates.io package (no
/// qualifier pointing elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoPurl {
    pub name: String,
    pub version: String,
    pub crates_io: bool,
}

/// Parses a `pkg:cargo/NAME@VERSION[?qualifiers][#subpath]`; `None` for other types or
/// malformed purls.
pub fn parse_cargo(purl: &str) -> Option<CargoPurl> {
    let rest = purl.strip_prefix("pkg:cargo/")?;
    let (main, qualifiers) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q.split('#').next().unwrap_or(""))),
        None => (rest.split('#').next().unwrap_or(""), None),
    };
    let (name, version) = main.split_once('@')?;
    let (name, version) = (decode(name)?, decode(version)?);
    if name.is_empty() || version.is_empty() || name.contains('/') {
        return None;
    }
    let crates_io = qualifiers.is_none_or(|q| {
        q.split('&').all(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                "repository_url" => decode(v).is_some_and(|v| {
                    v.contains("github.com/rust-lang/crates.io-index")
                        || v.contains("index.crates.io")
                }),
                "vcs_url" | "download_url" => false,
                _ => true,
            }
        })
    });
    Some(CargoPurl {
        name,
        version,
        crates_io,
    })
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `:` `/`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_round_trip() {
        let p = cargo_purl("smallvec", "1.6.0", Some(CRATES_IO_SOURCE), None);
        assert_eq!(p, "pkg:cargo/smallvec@1.6.0");
        assert!(parse_cargo(&p).unwrap().crates_io);
        let git = cargo_purl(
            "gix",
            "0.1.0+meta",
            Some("git+https://github.com/x/y?rev=abc#abc"),
            None,
        );
        assert_eq!(
            git,
            "pkg:cargo/gix@0.1.0%2Bmeta?vcs_url=git%2Bhttps://github.com/x/y%3Frev%3Dabc%23abc"
        );
        let parsed = parse_cargo(&git).unwrap();
        assert_eq!(parsed.version, "0.1.0+meta");
        assert!(!parsed.crates_io);
        assert!(
            !parse_cargo(&cargo_purl("app", "0.1.0", None, None))
                .unwrap()
                .crates_io
        );
        assert_eq!(parse_cargo("pkg:npm/x@1"), None);
        assert_eq!(parse_cargo("pkg:cargo/x"), None);
        assert_eq!(parse_cargo("pkg:cargo/x@1%zz"), None);
    }
}
