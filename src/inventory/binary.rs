//! What shipped: the dependency list `cargo auditable` embeds in a binary (`.dep-v0`, zlib JSON)
//! in ELF, PE, Mach-O and WebAssembly files, read with the official crates (`auditable-info`
//! finds and inflates the section, `auditable-serde` is the model), then turned into the same
//! [`Lockfile`] a `Cargo.lock` gives, so a binary is audited exactly like a lockfile.
//!
//! Fail closed: a file without embedded data is [`Embedded::Missing`], never an empty (clean)
//! inventory; the caller decides (exit 2 unless `--allow-no-audit-data`). Every size is bounded:
//! the file is read up to [`LIMITS`]`.input_file_size` and the JSON inflated up to
//! [`LIMITS`]`.decompressed_json_size`; past either, or on a truncated section, the error names
//! the file.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use auditable_info::Limits;
use auditable_serde::{Source, VersionInfo};
use sha2::{Digest, Sha256};

use super::lockfile::{LockedPackage, Lockfile};
use crate::error::{Error, Result};

/// The size limits we give `auditable-info` (set explicitly, not its defaults): release
/// binaries of large Rust programs reach a few hundred MiB; the embedded JSON of the largest
/// dependency trees is well under 1 MiB.
pub const LIMITS: Limits = Limits {
    input_file_size: 512 * 1024 * 1024,
    decompressed_json_size: 8 * 1024 * 1024,
};

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// A binary and what `cargo auditable` recorded in it.
#[derive(Debug, Clone)]
pub struct AuditableBinary {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    pub info: VersionInfo,
    /// Rust paths found in the symbol table (demangled, generics and hashes removed); `None`
    /// when the file has no symbol table (stripped) or `object` cannot read it.
    pub symbols: Option<BTreeSet<String>>,
    /// The target triple the file was built for, from its format and architecture (`None`
    /// for WebAssembly and unknown combinations): advisories limited to other OSes or
    /// architectures do not apply.
    pub target: Option<&'static str>,
}

/// The outcome of looking for embedded data.
#[derive(Debug, Clone)]
pub enum Embedded {
    Found(Box<AuditableBinary>),
    /// The file parses but has no `cargo auditable` section.
    Missing {
        path: PathBuf,
        sha256: String,
    },
}

/// The message for a binary without embedded data (exit 2 unless `--allow-no-audit-data`).
pub fn missing_message(path: &Path) -> String {
    format!(
        "no cargo-auditable data in {} (build it with cargo auditable)",
        path.display()
    )
}

/// Reads `path` and its embedded dependency list.
pub fn read(path: &Path) -> Result<Embedded> {
    let bytes = read_bounded(path, LIMITS.input_file_size)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let json = match auditable_info::json_from_slice(&bytes, LIMITS.decompressed_json_size) {
        Ok(json) => json,
        Err(auditable_info::Error::NoAuditData) => {
            return Ok(Embedded::Missing {
                path: path.to_path_buf(),
                sha256,
            })
        }
        Err(e) => return Err(Error::input(path, extract_error(&e))),
    };
    let invalid = |e: serde_json::Error| {
        Error::input(
            path,
            format!("the embedded cargo-auditable data is not valid: {e}"),
        )
    };
    // Duplicate keys are refused first; then the typed read, from the same bytes, because
    // `auditable_serde::Source` only deserialises from borrowed strings (not from a `Value`).
    crate::json::parse(json.as_bytes()).map_err(invalid)?;
    let info: VersionInfo = serde_json::from_str(&json).map_err(invalid)?;
    check_indices(path, &info)?;
    let symbols = rust_symbols(&bytes);
    Ok(Embedded::Found(Box::new(AuditableBinary {
        path: path.to_path_buf(),
        sha256,
        info,
        symbols,
        target: target_triple(&bytes),
    })))
}

fn extract_error(e: &auditable_info::Error) -> String {
    use auditable_info::Error as E;
    match e {
        E::OutputLimitExceeded => format!(
            "the embedded cargo-auditable data inflates past the {} MiB limit",
            LIMITS.decompressed_json_size >> 20
        ),
        E::Decompression(e) => {
            format!("the embedded cargo-auditable data is truncated or corrupt (zlib: {e})")
        }
        E::BinaryParsing(e) => format!("cannot parse the binary: {e}"),
        other => format!("cannot read the embedded cargo-auditable data: {other}"),
    }
}

/// Reads a regular file of at most `limit` bytes (a FIFO or device is refused before it is
/// opened, so `/dev/zero` cannot hang or fill memory).
fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::input(path, "not a regular file, expected a binary"));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() > limit {
        return Err(Error::input(
            path,
            format!("over the {} MiB limit for binaries", limit >> 20),
        ));
    }
    Ok(bytes)
}

/// `auditable-serde` checks roots and cycles, not that dependency indices exist, nor names:
/// a name must be one a `Cargo.lock` may hold (the same rule as both lockfile readers), so no
/// `../`, control character or escape sequence reaches a path, a URL or a terminal.
fn check_indices(path: &Path, info: &VersionInfo) -> Result<()> {
    let n = info.packages.len();
    for (i, p) in info.packages.iter().enumerate() {
        let registry = matches!(p.source, Source::CratesIo | Source::Registry);
        if let Some(why) = super::names::check_name(&p.name, registry) {
            return Err(Error::input(
                path,
                format!(
                    "the embedded cargo-auditable data is not valid: packages[{i}] (`{}`): {why}",
                    crate::lines::escape(&p.name)
                ),
            ));
        }
        if let Some(bad) = p.dependencies.iter().find(|&&d| d >= n) {
            return Err(Error::input(
                path,
                format!("the embedded cargo-auditable data is not valid: packages[{i}] (`{}`) depends on index {bad}, but there are {n} packages", p.name),
            ));
        }
    }
    Ok(())
}

impl AuditableBinary {
    /// The embedded list as a [`Lockfile`], with the semantics of rustsec's binary scanning
    /// (what `cargo audit bin` runs): every package, build-time ones included; only
    /// `crates.io` packages get a source (the data records no other registry's URL).
    pub fn lockfile(&self) -> Result<Lockfile> {
        let bad = |msg: String| {
            Error::input(
                &self.path,
                format!("the embedded cargo-auditable data is not valid: {msg}"),
            )
        };
        let crates_io = cargo_lock::SourceId::from_url(CRATES_IO).expect("crates.io source id");
        let source_of = |s: &Source| matches!(s, Source::CratesIo).then(|| crates_io.clone());
        let name_of = |name: &str| {
            cargo_lock::Name::from_str(name).map_err(|e| bad(format!("package name `{name}`: {e}")))
        };
        let mut model = Vec::with_capacity(self.info.packages.len());
        let mut packages = Vec::with_capacity(self.info.packages.len());
        for p in &self.info.packages {
            let dependencies = p
                .dependencies
                .iter()
                .map(|&d| {
                    let dep = &self.info.packages[d];
                    Ok(cargo_lock::Dependency {
                        name: name_of(&dep.name)?,
                        version: dep.version.clone(),
                        source: source_of(&dep.source),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            model.push(cargo_lock::Package {
                name: name_of(&p.name)?,
                version: p.version.clone(),
                source: source_of(&p.source),
                checksum: None,
                dependencies,
                replace: None,
            });
            packages.push(LockedPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                source: source_of(&p.source).map(|_| CRATES_IO.to_string()),
                checksum: None,
                is_crates_io: matches!(p.source, Source::CratesIo),
                // No lockfile lines in a binary; SARIF points at the file's first line.
                line: 1,
            });
        }
        // Not a Cargo.lock: format 0 says so in every output.
        Ok(Lockfile::assembled(
            self.path.clone(),
            self.sha256.clone(),
            0,
            packages,
            model,
        ))
    }

    /// The root package (the binary's own crate).
    pub fn root(&self) -> Option<&auditable_serde::Package> {
        self.info.packages.iter().find(|p| p.root)
    }

    /// The reachability hint for one finding's affected functions: which of them appear in
    /// the symbol table. `None` when there is no symbol table or no function to look for.
    pub fn functions_present<'a>(&self, functions: &'a [String]) -> Option<Vec<&'a str>> {
        let symbols = self.symbols.as_ref()?;
        if functions.is_empty() {
            return None;
        }
        Some(
            functions
                .iter()
                .filter(|f| symbols.contains(f.as_str()))
                .map(String::as_str)
                .collect(),
        )
    }
}

/// Every Rust path in the symbol tables (static and dynamic), normalised with
/// [`normalize_symbol`]. `None` when the file has no static symbol table (stripped).
fn rust_symbols(bytes: &[u8]) -> Option<BTreeSet<String>> {
    use object::{Object, ObjectSymbol};
    let file = object::File::parse(bytes).ok()?;
    let mut names = BTreeSet::new();
    // A stripped executable keeps its dynamic symbols (mostly libc imports): only a static
    // symbol table counts as "having symbols".
    let any = file.symbols().next().is_some();
    for symbol in file.symbols().chain(file.dynamic_symbols()) {
        let Ok(name) = symbol.name() else { continue };
        if let Ok(demangled) = rustc_demangle::try_demangle(name) {
            names.insert(normalize_symbol(&format!("{demangled:#}")));
        }
    }
    any.then_some(names)
}

/// The triple of an ELF (Linux, or FreeBSD by its OS ABI byte), PE or Mach-O file.
fn target_triple(bytes: &[u8]) -> Option<&'static str> {
    use object::{Architecture as A, BinaryFormat as F, Object};
    let file = object::File::parse(bytes).ok()?;
    const ELFOSABI_FREEBSD: u8 = 9;
    let freebsd = file.format() == F::Elf && bytes.get(7) == Some(&ELFOSABI_FREEBSD);
    Some(match (file.format(), file.architecture()) {
        (F::Elf, A::X86_64) if freebsd => "x86_64-unknown-freebsd",
        (F::Elf, A::X86_64) => "x86_64-unknown-linux-gnu",
        (F::Elf, A::Aarch64) => "aarch64-unknown-linux-gnu",
        (F::Elf, A::I386) => "i686-unknown-linux-gnu",
        (F::Elf, A::Arm) => "armv7-unknown-linux-gnueabihf",
        (F::Pe, A::X86_64) => "x86_64-pc-windows-msvc",
        (F::Pe, A::I386) => "i686-pc-windows-msvc",
        (F::Pe, A::Aarch64) => "aarch64-pc-windows-msvc",
        (F::MachO, A::X86_64) => "x86_64-apple-darwin",
        (F::MachO, A::Aarch64) => "aarch64-apple-darwin",
        _ => return None,
    })
}

/// `smallvec::SmallVec<A>::insert_many` → `smallvec::SmallVec::insert_many`;
/// `<smallvec::SmallVec<A> as core::ops::Drop>::drop` → `smallvec::SmallVec::drop`: the form
/// advisories list in `affected.functions`.
///
/// Symbols come from the binary being audited, so they may hold any character: the text is
/// split only where a character starts.
pub fn normalize_symbol(demangled: &str) -> String {
    if let Some((inner, rest)) = demangled.strip_prefix('<').and_then(split_at_close) {
        let self_type = split_top_level_as(inner);
        return format!("{}{}", strip_generics(self_type), strip_generics(rest));
    }
    strip_generics(demangled)
}

/// The text after an opening `<` split around the `>` closing it: (inside, after it).
fn split_at_close(after_open: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (i, c) in after_open.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if depth == 0 => {
                let (inner, rest) = after_open.split_at_checked(i)?;
                return Some((inner, rest.strip_prefix('>')?));
            }
            '>' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// `T as Trait` at depth 0 → `T`.
fn split_top_level_as(inner: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in inner.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ' ' if depth == 0 => match inner.split_at_checked(i) {
                Some((self_type, tail)) if tail.starts_with(" as ") => return self_type,
                _ => {}
            },
            _ => {}
        }
    }
    inner
}

fn strip_generics(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_normalise_to_advisory_paths() {
        assert_eq!(
            normalize_symbol("smallvec::SmallVec<A>::insert_many"),
            "smallvec::SmallVec::insert_many"
        );
        assert_eq!(
            normalize_symbol("<smallvec::SmallVec<A> as core::ops::drop::Drop>::drop"),
            "smallvec::SmallVec::drop"
        );
        assert_eq!(
            normalize_symbol("<alloc::vec::Vec<T,A> as core::clone::Clone>::clone"),
            "alloc::vec::Vec::clone"
        );
        assert_eq!(normalize_symbol("main"), "main");
        assert_eq!(normalize_symbol("<broken"), "");
    }

    /// A hostile binary's symbols may hold any character; every split falls where one
    /// starts, next to multibyte ones too.
    #[test]
    fn symbols_with_multibyte_characters_split_between_characters() {
        assert_eq!(
            normalize_symbol("<é::Ü<ä€> as ö::Drop>::drop"),
            "é::Ü::drop"
        );
        assert_eq!(normalize_symbol("<ü as T>::f€"), "ü::f€");
        assert_eq!(normalize_symbol("<€>::x"), "€::x");
        assert_eq!(normalize_symbol("<€ asé>::x"), "€ asé::x");
        assert_eq!(normalize_symbol("<€"), "");
    }

    #[test]
    fn special_files_and_non_binaries_are_refused() {
        let err = read(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello").unwrap();
        assert!(read(&text).is_err());
        let err = read_bounded(&text, 3).unwrap_err().to_string();
        assert!(err.contains("limit"), "{err}");
    }
}
