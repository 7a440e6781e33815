//! Redaction: planted secrets never come out, whatever surrounds them, and it never panics.
#![no_main]

use chainwarden::redact::redact;
use libfuzzer_sys::fuzz_target;

/// Secrets the redactor must always catch, each between separators.
fn planted(seed: &[u8]) -> Vec<String> {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let pick = |n: usize, salt: usize| -> String {
        (0..n)
            .map(|i| {
                let b = seed.get((i + salt) % seed.len().max(1)).copied().unwrap_or(7);
                ALNUM[(b as usize + i * 31 + salt) % ALNUM.len()] as char
            })
            .collect()
    };
    vec![
        format!("ghp_{}", pick(36, 1)),
        format!("github_pat_{}", pick(82, 2)),
        format!("xoxb-{}-{}", pick(12, 3), pick(24, 4)),
        format!("AKIA{}", pick(16, 5).to_ascii_uppercase()),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Unplanted text: only that it never panics.
    let _ = redact(text);
    let secrets = planted(data);
    let mid = text.char_indices().map(|(i, _)| i).nth(text.chars().count() / 2).unwrap_or(0);
    let mut input = String::new();
    input.push_str(&text[..mid]);
    for s in &secrets {
        input.push_str("\n token: ");
        input.push_str(s);
        input.push_str(" \n");
    }
    input.push_str(&text[mid..]);
    let out = redact(&input);
    for s in &secrets {
        assert!(!out.contains(s.as_str()), "secret {s} leaked");
    }
});
