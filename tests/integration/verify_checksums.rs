//! `chainwarden verify checksums` and `chainwarden checksums` on releases built in the test,
//! with manifests written by the system's own `sha256sum`, `sha512sum` and `shasum --tag`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{cw, serve_raw, text};
use serde_json::Value;

/// A small release: text, binary, a name with a space, a file in a subdirectory.
fn release() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("app-1.0.tar.gz"),
        b"not really gzip but bytes are bytes\n",
    )
    .unwrap();
    let binary: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(p.join("app-linux-x86_64"), &binary).unwrap();
    std::fs::write(p.join("release notes.txt"), b"fixed everything\n").unwrap();
    std::fs::create_dir(p.join("docs")).unwrap();
    std::fs::write(p.join("docs/manual.pdf"), b"%PDF-1.7 pretend\n").unwrap();
    dir
}

const FILES: [&str; 4] = [
    "app-1.0.tar.gz",
    "app-linux-x86_64",
    "docs/manual.pdf",
    "release notes.txt",
];

/// Runs a system tool in `dir` and writes its stdout to `dir/out`.
fn system_manifest(dir: &Path, tool: &[&str], out: &str) -> PathBuf {
    let o = Command::new(tool[0])
        .args(&tool[1..])
        .args(FILES)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{tool:?}: {}", text(&o.stderr));
    let path = dir.join(out);
    std::fs::write(&path, o.stdout).unwrap();
    path
}

fn verify(manifest: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = cw()
        .args(["verify", "checksums", "--format", "json"])
        .arg(manifest)
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), json, text(&out.stderr))
}

fn subject<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no subject {name}: {report}"))
}

fn codes(report: &Value, name: &str) -> Vec<String> {
    subject(report, name)["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn manifests_from_system_tools_verify() {
    let rel = release();
    for (tool, name) in [
        (vec!["sha256sum"], "SHA256SUMS"),
        (vec!["sha256sum", "--binary"], "SHA256SUMS.bin"),
        (vec!["sha512sum"], "SHA512SUMS"),
        (vec!["shasum", "-a", "256", "--tag"], "SHA256SUMS.tag"),
        (vec!["shasum", "-a", "512", "--tag"], "SHA512SUMS.tag"),
    ] {
        let manifest = system_manifest(rel.path(), &tool, name);
        let (code, report, stderr) = verify(&manifest, &["--unlisted", "fail"]);
        // The other manifests in the directory are unlisted: the run fails only on them.
        assert_eq!(report["counts"]["verified"], 4, "{name}: {report} {stderr}");
        let unlisted: Vec<&Value> = report["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["verdict"] == "failed")
            .collect();
        assert!(
            unlisted
                .iter()
                .all(|s| s["checks"][0]["code"] == "verify:unlisted"),
            "{name}"
        );
        assert_eq!(code, if unlisted.is_empty() { 0 } else { 1 });
        // Without failing unlisted files it passes and notes them.
        let (code, report, _) = verify(&manifest, &[]);
        assert_eq!(code, 0, "{name}: {report}");
    }
}

#[test]
fn our_manifests_round_trip_through_sha256sum() {
    let rel = release();
    std::fs::write(rel.path().join("back\\slash"), b"odd name").unwrap();
    let out = cw().arg("checksums").arg(rel.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let manifest = rel.path().join("SHA256SUMS");
    std::fs::write(&manifest, &out.stdout).unwrap();
    let check = Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(rel.path())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "sha256sum -c: {}",
        text(&check.stdout)
    );
    assert_eq!(text(&check.stdout).lines().count(), 5);
    let (code, report, _) = verify(&manifest, &["--unlisted", "fail"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["counts"]["verified"], 5);
    // JSON manifest, written to a file inside the directory (which it does not list).
    let json = rel.path().join("manifest.json");
    let out = cw()
        .arg("checksums")
        .arg("--json")
        .arg(rel.path())
        .arg("--output")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        doc["artifacts"].as_array().unwrap().len(),
        6,
        "includes SHA256SUMS, not itself"
    );
    let (code, report, _) = verify(&json, &[]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn tampering_is_caught_with_status_and_line() {
    let rel = release();
    let p = rel.path();
    let manifest = system_manifest(p, &["sha256sum"], "SHA256SUMS");
    let line_of = |name: &str| {
        let text = std::fs::read_to_string(&manifest).unwrap();
        (text.lines().position(|l| l.ends_with(name)).unwrap() + 1).to_string()
    };
    // One flipped bit.
    let mut bin = std::fs::read(p.join("app-linux-x86_64")).unwrap();
    bin[12345] ^= 0x01;
    std::fs::write(p.join("app-linux-x86_64"), &bin).unwrap();
    // Truncated.
    let tar = std::fs::read(p.join("app-1.0.tar.gz")).unwrap();
    std::fs::write(p.join("app-1.0.tar.gz"), &tar[..10]).unwrap();
    // Two files swapped.
    std::fs::rename(p.join("docs/manual.pdf"), p.join("tmp")).unwrap();
    std::fs::rename(p.join("release notes.txt"), p.join("docs/manual.pdf")).unwrap();
    std::fs::rename(p.join("tmp"), p.join("release notes.txt")).unwrap();
    // An unlisted one.
    std::fs::write(p.join("extra.sh"), b"curl | sh").unwrap();
    let (code, report, _) = verify(&manifest, &["--unlisted", "fail"]);
    assert_eq!(code, 1);
    for name in FILES {
        assert_eq!(
            codes(&report, name),
            vec!["verify:digest-mismatch"],
            "{name}"
        );
        let check = &subject(&report, name)["checks"][0];
        assert_eq!(check["details"]["line"], line_of(name).as_str());
        assert_ne!(check["details"]["expected"], check["details"]["actual"]);
    }
    assert_eq!(codes(&report, "extra.sh"), vec!["verify:unlisted"]);
    // A deleted one.
    std::fs::remove_file(p.join("app-1.0.tar.gz")).unwrap();
    let (code, report, _) = verify(&manifest, &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report, "app-1.0.tar.gz"), vec!["verify:missing"]);
    assert!(report["notes"].to_string().contains("extra.sh"));
}

#[test]
fn unsafe_names_are_refused_with_their_line() {
    let rel = release();
    let p = rel.path();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"outside").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), p.join("escape")).unwrap();
    let h = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let other = "0".repeat(64);
    let good = Command::new("sha256sum")
        .arg("app-1.0.tar.gz")
        .current_dir(p)
        .output()
        .unwrap()
        .stdout;
    let manifest = p.join("SUMS");
    let body = format!(
        "{}{h}  /etc/passwd\n{h}  ../../etc/shadow\n\\{h}  nul\\0byte\n{h}  escape\n{h}  dup\n{other}  dup\n",
        text(&good)
    );
    std::fs::write(&manifest, body).unwrap();
    let (code, report, _) = verify(&manifest, &[]);
    assert_eq!(code, 1);
    assert_eq!(subject(&report, "app-1.0.tar.gz")["verdict"], "verified");
    for (name, line) in [
        ("/etc/passwd", "2"),
        ("../../etc/shadow", "3"),
        ("nul\u{0}byte", "4"),
        ("escape", "5"),
    ] {
        let check = &subject(&report, name)["checks"][0];
        assert_eq!(check["code"], "verify:unsafe-name", "{name}");
        assert_eq!(check["details"]["line"], line, "{name}");
    }
    let dups: Vec<&Value> = report["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "dup")
        .collect();
    assert_eq!(dups.len(), 2);
    for d in dups {
        assert!(d["checks"][0]["message"]
            .as_str()
            .unwrap()
            .contains("different digests on lines 6, 7"));
    }
    // A line that is no checksum line at all is bad input: exit 2, named.
    std::fs::write(&manifest, format!("{h}  ok\nthis is not a checksum\n")).unwrap();
    let (code, _, stderr) = verify(&manifest, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("SUMS:2:1: not a checksum line"), "{stderr}");
}

/// An HTTP/1.1 200 response that claims `length` bytes and sends `body`.
fn response(length: usize, body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n")
        .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Serves the files of `root` under `/MODE/NAME`: `good`, `truncate` (claims the full length,
/// sends half), `lie` (says the body is shorter than it is), `stall` (5 s before answering);
/// anything else is a 404.
fn release_server(root: PathBuf) -> String {
    serve_raw(move |path| {
        let (mode, rest) = path
            .trim_start_matches('/')
            .split_once('/')
            .unwrap_or(("", ""));
        let name = rest.replace("%20", " ");
        let body = std::fs::read(root.join(&name)).unwrap_or_default();
        match mode {
            "good" => response(body.len(), &body),
            "truncate" => response(body.len(), &body[..body.len() / 2]),
            "lie" => response(body.len() / 2, &body),
            "stall" => {
                std::thread::sleep(std::time::Duration::from_secs(5));
                response(body.len(), &body)
            }
            _ => {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            }
        }
    })
}

#[test]
fn releases_stream_from_a_url_and_bad_servers_are_unverifiable() {
    let rel = release();
    let p = rel.path().to_path_buf();
    let manifest = system_manifest(&p, &["sha256sum"], "SHA256SUMS");
    let base = release_server(p.clone());
    let keep = tempfile::tempdir().unwrap();
    let run = |mode: &str, extra: &[&str]| {
        let out = cw()
            .env("CHAINWARDEN_HTTP_TIMEOUT", "1")
            .env("CHAINWARDEN_HTTP_ATTEMPTS", "1")
            .args([
                "verify",
                "checksums",
                "--format",
                "json",
                "--base-url",
                &format!("{base}/{mode}"),
            ])
            .arg(&manifest)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        )
    };
    let (code, report) = run("good", &["--keep", keep.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["counts"]["verified"], 4);
    assert_eq!(
        std::fs::read(keep.path().join("docs/manual.pdf")).unwrap(),
        std::fs::read(p.join("docs/manual.pdf")).unwrap()
    );
    for mode in ["truncate", "lie", "stall", "missing"] {
        let (code, report) = run(mode, &[]);
        // "lie" short-reads the body: the digest cannot match, or the read fails.
        let verdicts: Vec<&str> = report["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["verdict"].as_str().unwrap())
            .collect();
        assert!(
            verdicts.iter().all(|v| *v != "verified"),
            "{mode}: {report}"
        );
        assert!(code == 1 || code == 2, "{mode}");
        if mode != "lie" {
            assert_eq!(code, 2, "{mode}: could not verify");
            assert_eq!(
                subject(&report, "app-1.0.tar.gz")["checks"][0]["code"],
                "verify:download",
                "{mode}"
            );
        }
    }
    // Plain http to a non-loopback host is refused before any request.
    let out = cw()
        .args([
            "verify",
            "checksums",
            "--base-url",
            "http://example.org/rel",
        ])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("only for loopback"));
}

/// `sha256sum -c MANIFEST` in `dir`: its exit code.
fn gnu_check(dir: &Path, manifest: &str) -> i32 {
    Command::new("sha256sum")
        .args(["-c", manifest])
        .current_dir(dir)
        .output()
        .unwrap()
        .status
        .code()
        .unwrap()
}

#[test]
fn every_form_sha256sum_accepts_verifies_as_it_does() {
    if Command::new("sha256sum").arg("--version").output().is_err() {
        crate::common::skip("GNU sha256sum is not installed");
        return;
    }
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("f"), b"hello").unwrap();
    // A file literally named `\a` (refused as an absolute path before); on Unix the backslash
    // is an ordinary character, not a separator.
    #[allow(clippy::join_absolute_paths)]
    let backslash_a = p.join("\\a");
    std::fs::write(backslash_a, b"backslash").unwrap();
    let hf = hex::encode(Sha256::digest(b"hello"));
    let ha = hex::encode(Sha256::digest(b"backslash"));
    // (manifest line, the name it lists): OpenSSL's form, BSD forms without their spaces, the
    // reversed form with one space or a TAB, leading blanks, `\a` plain and escaped, upper case.
    let forms = |hf: &str, ha: &str| -> Vec<(String, &'static str)> {
        vec![
            (format!("SHA256(f)= {hf}"), "f"),
            (format!("SHA256 (f)={hf}"), "f"),
            (format!("SHA256 (f) = {hf}"), "f"),
            (format!("{hf} f"), "f"),
            (format!("{hf}\tf"), "f"),
            (format!("{hf}\t*f"), "f"),
            (format!("  {hf}  f"), "f"),
            (format!("{ha}  \\a"), "\\a"),
            (format!("\\{ha}  \\\\a"), "\\a"),
            (format!("{}  f", hf.to_ascii_uppercase()), "f"),
        ]
    };
    let bad = |h: &str| {
        format!(
            "{}{}",
            if h.starts_with('0') { '1' } else { '0' },
            h.get(1..).unwrap()
        )
    };
    for ((line, name), (tampered, _)) in
        forms(&hf, &ha).into_iter().zip(forms(&bad(&hf), &bad(&ha)))
    {
        let manifest = p.join("SUMS");
        std::fs::write(&manifest, format!("{line}\n")).unwrap();
        assert_eq!(gnu_check(p, "SUMS"), 0, "sha256sum accepts {line:?}");
        let (code, report, err) = verify(&manifest, &[]);
        assert_eq!(code, 0, "{line:?}: {err} {report}");
        assert_eq!(subject(&report, name)["verdict"], "verified", "{line:?}");
        // The same form with a wrong digest fails in both.
        std::fs::write(&manifest, format!("{tampered}\n")).unwrap();
        assert_eq!(gnu_check(p, "SUMS"), 1, "sha256sum rejects {tampered:?}");
        let (code, report, _) = verify(&manifest, &[]);
        assert_eq!(code, 1, "{tampered:?}");
        assert_eq!(
            codes(&report, name),
            vec!["verify:digest-mismatch"],
            "{tampered:?}"
        );
    }
    // Forms sha256sum refuses as improperly formatted are bad input here (exit 2), never
    // verified.
    for line in [
        format!("sha256 (f) = {hf}"),
        format!("SHA256  (f) = {hf}"),
        format!("{hf}  "),
    ] {
        std::fs::write(p.join("SUMS"), format!("{line}\n")).unwrap();
        assert_ne!(gnu_check(p, "SUMS"), 0, "{line:?}");
        let (code, _, err) = verify(&p.join("SUMS"), &[]);
        assert_eq!(code, 2, "{line:?}: {err}");
    }
    // What stays refused although sha256sum opens it: a name leading out of the directory.
    let inner = p.join("release");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(inner.join("SUMS"), format!("{hf}  ../f\n")).unwrap();
    assert_eq!(gnu_check(&inner, "SUMS"), 0, "sha256sum follows ../f");
    let (code, report, _) = verify(&inner.join("SUMS"), &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report, "../f"), vec!["verify:unsafe-name"]);
}
