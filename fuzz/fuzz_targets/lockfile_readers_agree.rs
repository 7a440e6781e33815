//! Both lockfile readers agree: the fast reader (cargo's canonical layout) and the general TOML
//! reader accept and refuse the same texts and read the same packages; neither panics.
#![no_main]

use std::path::Path;

use chainwarden::inventory::Lockfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("Cargo.lock");
    let either = Lockfile::parse(path, text);
    let general = Lockfile::parse_general(path, text);
    match (&either, &general) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.packages, b.packages, "the readers read different packages");
            assert_eq!(a.model.packages, b.model.packages, "different models");
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "the readers disagree: parse {:?} / general {:?}",
            a.as_ref().map(|l| l.fast_path).map_err(ToString::to_string),
            b.as_ref().map(|_| ()).map_err(ToString::to_string)
        ),
    }
});
