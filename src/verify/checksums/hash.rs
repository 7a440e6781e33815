//! Streaming file digests in bounded memory: one fixed buffer per file being hashed, whatever
//! the file's size. `sha2` uses the CPU's SHA extensions when it has them.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256, Sha384, Sha512};

use super::manifest::Algorithm;

/// Read size: large enough that syscalls vanish next to hashing, small enough to stay cached.
pub const BUFFER: usize = 1 << 20;

/// A running digest of one of the supported algorithms.
pub enum Hasher {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha384 => Hasher::Sha384(Sha384::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha384(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// Lower-case hex.
    pub fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha384(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

/// A file's digest and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub hex: String,
    pub size: u64,
}

/// Hashes a file, calling `progress` with each chunk's length.
pub fn hash_file(
    path: &Path,
    algorithm: Algorithm,
    progress: &dyn Fn(u64),
) -> std::io::Result<FileDigest> {
    let mut file = std::fs::File::open(path)?;
    hash_reader(&mut file, algorithm, progress)
}

pub fn hash_reader(
    reader: &mut dyn Read,
    algorithm: Algorithm,
    progress: &dyn Fn(u64),
) -> std::io::Result<FileDigest> {
    let mut hasher = Hasher::new(algorithm);
    let mut buf = vec![0u8; BUFFER];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
        progress(n as u64);
    }
    Ok(FileDigest {
        hex: hasher.finish(),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let empty = hash_reader(&mut &b""[..], Algorithm::Sha256, &|_| {}).unwrap();
        assert_eq!(
            empty.hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let abc = hash_reader(&mut &b"abc"[..], Algorithm::Sha512, &|_| {}).unwrap();
        assert!(abc.hex.starts_with("ddaf35a193617aba"));
        assert_eq!(abc.size, 3);
        let abc = hash_reader(&mut &b"abc"[..], Algorithm::Sha384, &|_| {}).unwrap();
        assert!(abc.hex.starts_with("cb00753f45a35e8b"));
    }
}
