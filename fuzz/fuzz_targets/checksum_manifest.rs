//! Checksum manifests (GNU, BSD, GoReleaser, JSON) never panic the parser, and every entry's
//! line is inside the file.
#![no_main]

use std::path::Path;

use chainwarden::verify::checksums::manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["SHA256SUMS", "checksums.json"] {
        if let Ok(entries) = manifest::parse(Path::new(name), text) {
            let lines = text.lines().count().max(1);
            for e in entries {
                assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}", e.line);
            }
        }
    }
});
