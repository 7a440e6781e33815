//! Evidence import lines: never a panic, whatever the line; a refused line names its line.
#![no_main]

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use chainwarden::evidence::Store;
use libfuzzer_sys::fuzz_target;

fn store() -> &'static Mutex<(tempfile::TempDir, Store)> {
    static STORE: OnceLock<Mutex<(tempfile::TempDir, Store)>> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("evidence.db")).unwrap();
        Mutex::new((dir, store))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut guard = store().lock().unwrap();
    // Unsigned lines accepted: the fuzzer exercises parsing and checking, not the signature.
    let opts = chainwarden::evidence::ImportOptions {
        trusted: None,
        tenant: None,
        project: None,
    };
    if let Err(e) =
        chainwarden::evidence::import(&mut guard.1, Path::new("runs.jsonl"), text, &opts)
    {
        let message = e.to_string();
        assert!(
            message.starts_with("runs.jsonl") || message.starts_with("evidence store"),
            "{message}"
        );
    }
});
