//! `chainwarden audit --binary`: real binaries built with `cargo auditable` from the fixture
//! under tests/fixtures/auditable (once per test run), crafted WebAssembly files for the
//! hostile cases, and agreement with the recorded output of `cargo audit bin`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{cw, data, fixture, skip, text};

const NOW: &str = "2026-11-25T12:00:00Z";

/// The fixture binary built with `cargo auditable build` (debug profile, symbols kept), built
/// once per test run into the target's tmp dir. `None` (test returns) when cargo-auditable is
/// missing and the data is not required.
pub fn vulnapp() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let installed = Command::new("cargo")
                .args(["auditable", "--version"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !installed {
                skip("cargo-auditable is not installed (cargo install cargo-auditable --locked)");
                return None;
            }
            let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("auditable-fixtures");
            let out = Command::new("cargo")
                .args([
                    "auditable",
                    "build",
                    "--locked",
                    "--quiet",
                    "--manifest-path",
                ])
                .arg(fixture("auditable/vulnapp/Cargo.toml"))
                .arg("--target-dir")
                .arg(&target)
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_BUILD_TARGET")
                .output()
                .expect("cargo runs");
            assert!(
                out.status.success(),
                "cargo auditable build failed: {}",
                text(&out.stderr)
            );
            Some(target.join("debug").join("vulnapp"))
        })
        .clone()
}

/// `chainwarden audit` with the shared database, offline, pinned time; (exit code, stdout,
/// stderr).
pub fn audit(args: &[&str], files: &[&Path]) -> (i32, String, String) {
    let db = data("advisory-db").unwrap();
    let out = cw()
        .args(["audit", "--offline", "--now", NOW, "--db"])
        .arg(&db)
        .args(args)
        .args(files)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        text(&out.stdout),
        text(&out.stderr),
    )
}

pub fn finding_set(report: &Value) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["advisory_id"].as_str().unwrap().to_string(),
                f["package"].as_str().unwrap().to_string(),
                f["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn binary_audit_matches_the_lockfile_it_was_built_from() {
    let Some(bin) = vulnapp() else { return };
    let (code, stdout, stderr) = audit(&["--format", "json", "--binary"], &[&bin]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let findings = finding_set(&report);
    assert!(
        findings.contains(&(
            "vulnerability".into(),
            "RUSTSEC-2021-0003".into(),
            "smallvec".into(),
            "1.6.0".into()
        )),
        "{findings:?}"
    );
    // The same findings as the lockfile it was built from.
    let lock = fixture("auditable/vulnapp/Cargo.lock");
    // Same target: the binary is a Linux x86-64 ELF, and atty's advisory is Windows-only.
    let (_, lock_out, _) = audit(
        &[
            "--format",
            "json",
            "--lockfile-only",
            "--target",
            "x86_64-unknown-linux-gnu",
        ],
        &[&lock],
    );
    let lock_report: Value = serde_json::from_str(&lock_out).unwrap();
    assert_eq!(findings, finding_set(&lock_report));
    // The embedded inventory: our crate, the path crate, the registry crates for Linux.
    let names: Vec<&str> = report["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["atty", "helper", "libc", "smallvec", "vulnapp"]);
    assert_eq!(report["lockfile"]["format_version"], 0);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("reachability hint (symbol table only, not proof): RUSTSEC-2021-0003 smallvec 1.6.0: smallvec::SmallVec::insert_many is in the symbol table"),
        "{notes}"
    );
    // The binary's own target filters advisories: no note that --target needs cargo metadata.
    assert!(notes.contains("follow the binary's target"), "{notes}");
    assert!(!notes.contains("need cargo metadata"), "{notes}");
}

#[test]
fn stripped_binary_says_there_is_no_symbol_table() {
    let Some(bin) = vulnapp() else { return };
    let dir = tempfile::tempdir().unwrap();
    let stripped = dir.path().join("vulnapp-stripped");
    let status = Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(&bin)
        .status()
        .expect("strip (binutils) is installed");
    assert!(status.success());
    let (code, stdout, _) = audit(&["--format", "json", "--binary"], &[&stripped]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["notes"]
            .to_string()
            .contains("has no symbol table (stripped)"),
        "{}",
        report["notes"]
    );
}

#[test]
fn binary_without_audit_data_fails_closed() {
    if data("advisory-db").is_none() {
        return;
    }
    // Our own binary is built with plain cargo: no embedded data.
    let plain = Path::new(env!("CARGO_BIN_EXE_chainwarden"));
    let (code, stdout, stderr) = audit(&["--binary"], &[plain]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.contains(&format!(
            "no cargo-auditable data in {} (build it with cargo auditable)",
            plain.display()
        )),
        "{stderr}"
    );
    let (code, stdout, stderr) = audit(
        &["--format", "json", "--allow-no-audit-data", "--binary"],
        &[plain],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["inventory"].as_array().unwrap().len(), 0);
    assert!(report["notes"].to_string().contains("nothing was audited"));
}

/// A WebAssembly module with one custom section.
pub fn wasm_with_section(name: &str, payload: &[u8]) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut body = Vec::new();
    leb(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.push(0);
    leb(body.len(), &mut wasm);
    wasm.extend(body);
    wasm
}

pub fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

pub const DEPS: &str = r#"{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"smallvec","version":"1.6.0","source":"crates.io"}]}"#;

#[test]
fn webassembly_and_hostile_sections() {
    if data("advisory-db").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    // A valid module: audited like any binary.
    let good = write(
        "good.wasm",
        wasm_with_section(".dep-v0", &zlib(DEPS.as_bytes())),
    );
    let (code, stdout, stderr) = audit(&["--format", "json", "--binary"], &[&good]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(finding_set(&report)
        .iter()
        .any(|f| f.1 == "RUSTSEC-2021-0003"));

    let compressed = zlib(DEPS.as_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.wasm",
            wasm_with_section(".dep-v0", &compressed[..compressed.len() / 2]),
            "truncated or corrupt",
        ),
        (
            "huge.wasm",
            wasm_with_section(".dep-v0", &zlib(&vec![b' '; 9 * 1024 * 1024])),
            "inflates past the 8 MiB limit",
        ),
        (
            "index.wasm",
            wasm_with_section(".dep-v0", &zlib(DEPS.replace("[1]", "[7]").as_bytes())),
            "depends on index 7, but there are 2 packages",
        ),
        (
            "dup.wasm",
            wasm_with_section(
                ".dep-v0",
                &zlib(
                    DEPS.replace(r#""name":"app""#, r#""name":"app","name":"x""#)
                        .as_bytes(),
                ),
            ),
            "duplicate",
        ),
        (
            "garbage.bin",
            b"\x7fELF garbage".to_vec(),
            "cannot parse the binary",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = write(name, bytes);
        let (code, _, stderr) = audit(&["--binary"], &[&path]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(
            stderr.contains(&path.display().to_string()) && stderr.contains(expected),
            "{name}: {stderr}"
        );
    }
    let (code, _, stderr) = audit(&["--binary"], &[Path::new("/dev/zero")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

#[test]
fn several_binaries_give_one_document() {
    let Some(bin) = vulnapp() else { return };
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("app.wasm");
    std::fs::write(&wasm, wasm_with_section(".dep-v0", &zlib(DEPS.as_bytes()))).unwrap();
    let (code, stdout, _) = audit(&["--format", "json", "--binary"], &[&bin, &wasm]);
    assert_eq!(code, 1);
    let reports: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(reports.as_array().unwrap().len(), 2);
    assert_eq!(
        reports[1]["lockfile"]["path"].as_str(),
        Some(wasm.display().to_string().as_str())
    );
    let (code, stdout, _) = audit(&["--format", "sarif", "--binary"], &[&bin, &wasm]);
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 2);
}

type Triple = (String, String, String);

fn triples(report: &Value) -> std::collections::BTreeSet<Triple> {
    finding_set(report)
        .into_iter()
        .filter(|f| ["vulnerability", "unmaintained", "unsound"].contains(&f.0.as_str()))
        .map(|f| (f.1, f.2, f.3))
        .collect()
}

/// (vulnerabilities + unmaintained/unsound warnings) of a recorded `cargo audit bin` report.
fn recorded(name: &str) -> std::collections::BTreeSet<Triple> {
    let path = fixture(&format!("auditable/cargo-audit-bin/{name}.json"));
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let t = |e: &Value| {
        (
            e["advisory"]["id"].as_str().unwrap().to_string(),
            e["package"]["name"].as_str().unwrap().to_string(),
            e["package"]["version"].as_str().unwrap().to_string(),
        )
    };
    let mut out: std::collections::BTreeSet<Triple> = doc["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(t)
        .collect();
    for kind in ["unmaintained", "unsound"] {
        out.extend(
            doc["warnings"][kind]
                .as_array()
                .into_iter()
                .flatten()
                .map(t),
        );
    }
    out
}

/// Recorded by scripts/compare-cargo-audit-bin.sh (cargo-audit 0.22.2, shared database).
#[test]
fn agrees_with_cargo_audit_bin() {
    let Some(bin) = vulnapp() else { return };
    let (_, out, _) = audit(&["--format", "json", "--binary"], &[&bin]);
    assert_eq!(
        triples(&serde_json::from_str(&out).unwrap()),
        recorded("vulnapp")
    );
    // One WebAssembly module per shared lockfile. cargo audit bin applies the *host's* OS and
    // architecture to every binary; a WebAssembly module has no OS, so we keep the advisories
    // limited to an OS: ours is theirs plus exactly those (equal on 7 of the 13).
    let dir = fixture("auditable/lockfile-wasm");
    let mut wasm: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    wasm.sort();
    assert_eq!(wasm.len(), 13);
    let mut equal = 0;
    for module in &wasm {
        let name = module.file_stem().unwrap().to_string_lossy().to_string();
        let (code, out, err) = audit(&["--format", "json", "--binary"], &[module]);
        assert_ne!(code, 2, "{name}: {err}");
        let ours = triples(&serde_json::from_str(&out).unwrap());
        let theirs = recorded(&name);
        assert!(
            theirs.is_subset(&ours),
            "{name}: only cargo-audit {:?}",
            theirs.difference(&ours)
        );
        equal += usize::from(ours == theirs);
    }
    assert_eq!(equal, 7);
}
