//! Bundle and provenance JSON: the strict parser never panics, refuses every duplicate key,
//! and what it accepts serde_json reads to the same value.
#![no_main]

use chainwarden::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(strict) = json::parse(data) {
        let lax: serde_json::Value = serde_json::from_slice(data).expect("lax parser agrees");
        assert_eq!(strict, lax);
    }
    // Provenance files are JSON lines: each line on its own.
    for line in data.split(|b| *b == b'\n') {
        let _ = json::parse(line);
    }
});
