//! The provenance statement reader (what the `provenance_statement` fuzz target drives) on the
//! real provenance of every kind and on each of them cut short, re-encoded and with its
//! statement's fields replaced by other JSON types: never a panic. Crashes the fuzzer finds
//! are added here as cases.

use chainwarden::verify::provenance::statement::read_unverified;

use crate::common::data;

/// Statements whose fields have the wrong JSON types where the checks read strings.
const ODD_STATEMENTS: &[&str] = &[
    r#"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://actions.github.io/buildtypes/workflow/v1","externalParameters":{"workflow":{"repository":7,"ref":[]}},"resolvedDependencies":{"0":{"uri":"git+x@"}}},"runDetails":{"builder":{"id":null}}},"subject":[{"digest":{"sha256":1}},7]}"#,
    r#"{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","predicate":{"invocation":{"environment":{"github_ref_type":"tag","GITHUB_EVENT_NAME":"release","github_event_payload":{"release":{"target_commitish":"\u00e9@/"}}},"configSource":{"uri":""}},"materials":[{"uri":"@"}]},"subject":{}}"#,
    r#"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1","internalParameters":{"GITHUB_WORKFLOW_REF":"@@/","GITHUB_REF_TYPE":"tag"},"resolvedDependencies":[{"uri":"git+https://github.com/o/r@refs/heads/\u0000"}]}}}"#,
];

#[test]
fn statement_reader_never_panics_on_real_or_mangled_provenance() {
    let Some(dir) = data("provenance") else {
        return;
    };
    let mut files = Vec::new();
    for entry in walkdir(&dir) {
        let name = entry.to_string_lossy().to_string();
        if name.ends_with(".jsonl") || name.ends_with(".slsa") || name.ends_with(".json") {
            files.push(std::fs::read(&entry).unwrap());
        }
    }
    assert!(files.len() >= 20, "{}", files.len());
    let mut statements = 0;
    for bytes in &files {
        read_unverified(bytes);
        for line in bytes.split(|b| *b == b'\n') {
            statements += read_unverified(line);
        }
        // Cut at a spread of offsets (inside strings, escapes, base64).
        for cut in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
            read_unverified(&bytes[..cut]);
        }
    }
    // The real bundles reach the statement reader (not only the bundle parser).
    assert!(statements >= 15, "{statements}");
    for statement in ODD_STATEMENTS {
        assert_eq!(read_unverified(statement.as_bytes()), 1, "{statement}");
    }
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}
