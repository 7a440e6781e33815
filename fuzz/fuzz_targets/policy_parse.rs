//! Policy parsing never panics; every refusal is located in the file or names it.
#![no_main]

use std::path::Path;

use chainwarden::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Policy::parse(Path::new("policy.toml"), text) {
        let message = e.to_string();
        assert!(message.starts_with("policy.toml"), "{message}");
    }
});
