//! Provenance as `verify provenance` reads it: the bundle parsed strictly, its DSSE payload
//! decoded, the in-toto statement parsed and every field the checks read (tag, branch, source,
//! builder, subjects) evaluated: never a panic, whatever the bytes. Provenance files are JSON
//! lines, so each line is also read on its own.
#![no_main]

use chainwarden::verify::provenance::statement::read_unverified;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_unverified(data);
    if data.contains(&b'\n') {
        for line in data.split(|b| *b == b'\n') {
            let _ = read_unverified(line);
        }
    }
});
