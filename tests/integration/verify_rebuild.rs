//! `chainwarden verify rebuild`: real archives, ELF objects and a `cargo package` rebuild made
//! in the test.

use std::path::Path;
use std::process::Command;

use crate::common::{cw, text};
use serde_json::Value;

fn verify(args: &[&str]) -> (i32, Value) {
    verify_with(&[], args)
}

fn verify_with(env: &[(&str, &Path)], args: &[&str]) -> (i32, Value) {
    let mut cmd = cw();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["verify", "rebuild", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.code() != Some(2), "{}", text(&out.stderr));
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

/// Where cargo puts build output for `project`, asked from cargo itself.
fn cargo_target_dir(project: &Path, target_dir: &Path) -> std::path::PathBuf {
    let out = Command::new("cargo")
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    meta["target_directory"].as_str().unwrap().into()
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    &report["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()["checks"][0]
}

fn tar_gz(path: &Path, members: &[(&str, &[u8], u64)]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut b = tar::Builder::new(gz);
    for (name, data, mtime) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(*mtime);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap();
}

fn zip_file(path: &Path, members: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, data).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn archives_and_files_explain_their_differences() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [a.path(), b.path()] {
        std::fs::write(d.join("same.txt"), b"identical\n").unwrap();
    }
    std::fs::write(a.path().join("notes.txt"), b"abcdefgh").unwrap();
    std::fs::write(b.path().join("notes.txt"), b"abcdXfgh!").unwrap();
    // Same content, one member stamped with the build time instead of SOURCE_DATE_EPOCH.
    tar_gz(
        &a.path().join("src.tar.gz"),
        &[
            ("pkg/a.rs", b"fn a() {}", 1_700_000_000),
            ("pkg/b.rs", b"fn b() {}", 1_700_000_000),
        ],
    );
    tar_gz(
        &b.path().join("src.tar.gz"),
        &[
            ("pkg/a.rs", b"fn a() {}", 1_700_000_000),
            ("pkg/b.rs", b"fn b() {}", 1_764_000_000),
        ],
    );
    zip_file(
        &a.path().join("app.zip"),
        &[("bin/app", b"v1"), ("README", b"hi")],
    );
    zip_file(
        &b.path().join("app.zip"),
        &[("bin/app", b"v2"), ("README", b"hi")],
    );
    std::fs::write(a.path().join("only-published.sig"), b"sig").unwrap();

    let (code, report) = verify(&[
        "--published",
        a.path().to_str().unwrap(),
        "--rebuilt",
        b.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(check(&report, "same.txt")["code"], "verify:reproducible");
    let notes = check(&report, "notes.txt");
    assert_eq!(notes["code"], "verify:not-reproducible");
    assert_eq!(notes["details"]["first_difference_at"], "4");
    assert_eq!(
        (
            notes["details"]["published_size"].as_str(),
            notes["details"]["rebuilt_size"].as_str()
        ),
        (Some("8"), Some("9"))
    );
    let tar = check(&report, "src.tar.gz")["details"]["differing_members"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(tar, "pkg/b.rs: mtime 1700000000 vs 1764000000");
    let zip = check(&report, "app.zip")["details"]["differing_members"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        zip.starts_with("bin/app: content ") && !zip.contains("README"),
        "{zip}"
    );
    assert_eq!(
        check(&report, "only-published.sig")["code"],
        "verify:rebuild-missing"
    );
}

#[test]
fn elf_objects_name_the_differing_sections() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (dir, value) in [(&a, 41), (&b, 42)] {
        std::fs::create_dir_all(dir).unwrap();
        let src = dir.join("lib.c");
        std::fs::write(
            &src,
            format!("int answer(void) {{ return {value}; }}\nconst char banner[] = \"same\";\n"),
        )
        .unwrap();
        let out = Command::new("gcc")
            .args(["-O2", "-c", "-o"])
            .arg(dir.join("lib.o"))
            .arg(&src)
            .output()
            .unwrap();
        assert!(out.status.success(), "gcc: {}", text(&out.stderr));
        std::fs::remove_file(&src).unwrap();
    }
    let (code, report) = verify(&[
        "--published",
        a.to_str().unwrap(),
        "--rebuilt",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let sections = check(&report, "lib.o")["details"]["differing_sections"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sections.starts_with(".text: content "), "{sections}");
    assert!(!sections.contains(".rodata"), "{sections}");
}

#[test]
fn a_cargo_package_rebuild_reproduces_the_published_crate() {
    let src = tempfile::tempdir().unwrap();
    let s = src.path();
    std::fs::create_dir_all(s.join("src")).unwrap();
    std::fs::write(
        s.join("Cargo.toml"),
        "[package]\nname = \"repro-demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndescription = \"demo\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    std::fs::write(s.join("src/lib.rs"), "pub fn demo() -> u32 { 7 }\n").unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.email=rel@example.org", "-c", "user.name=rel"])
            .args(args)
            .current_dir(s)
            .env("GIT_COMMITTER_DATE", "2026-10-01T00:00:00Z")
            .env("GIT_AUTHOR_DATE", "2026-10-01T00:00:00Z")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "release 0.1.0"]);
    // Many users and CI systems set CARGO_TARGET_DIR: the published crate lands there, and
    // the rebuild must still find its output inside the copy (`--rebuilt target/package`).
    let elsewhere = tempfile::tempdir().unwrap();
    let package = "cargo package --offline --no-verify --quiet";
    let out = Command::new("sh")
        .args(["-c", package])
        .current_dir(s)
        .env("CARGO_TARGET_DIR", elsewhere.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let published = cargo_target_dir(s, elsewhere.path()).join("package");
    assert!(
        published.starts_with(elsewhere.path()),
        "{}",
        published.display()
    );
    std::fs::remove_dir_all(published.join("repro-demo-0.1.0")).ok();
    let published_copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        published.join("repro-demo-0.1.0.crate"),
        published_copy.path().join("repro-demo-0.1.0.crate"),
    )
    .unwrap();

    let (code, report) = verify_with(
        &[("CARGO_TARGET_DIR", elsewhere.path())],
        &[
            "--published",
            published_copy.path().to_str().unwrap(),
            "--rebuild",
            package,
            "--source",
            s.to_str().unwrap(),
            "--rebuilt",
            "target/package",
        ],
    );
    assert_eq!(code, 0, "{report}");
    assert!(
        report["notes"]
            .to_string()
            .contains("CARGO_TARGET_DIR unset for the rebuild"),
        "{report}"
    );
    assert_eq!(
        check(&report, "repro-demo-0.1.0.crate")["code"],
        "verify:reproducible"
    );
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap()
            .contains("SOURCE_DATE_EPOCH=1790812800"),
        "{report}"
    );

    // A published crate that differs from the source is caught, with the member named.
    std::fs::write(s.join("src/lib.rs"), "pub fn demo() -> u32 { 8 }\n").unwrap();
    git(&["commit", "-qam", "oops"]);
    let (code, report) = verify(&[
        "--published",
        published_copy.path().to_str().unwrap(),
        "--rebuild",
        package,
        "--source",
        s.to_str().unwrap(),
        "--rebuilt",
        "target/package",
    ]);
    assert_eq!(code, 1);
    let members = check(&report, "repro-demo-0.1.0.crate")["details"]["differing_members"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        members.contains("repro-demo-0.1.0/src/lib.rs: content"),
        "{members}"
    );
}

#[test]
fn manifests_compare_by_digest_and_bad_input_exits_2() {
    let a = tempfile::tempdir().unwrap();
    std::fs::write(a.path().join("x.bin"), b"x").unwrap();
    let m = a.path().join("rebuilt.sha256");
    std::fs::write(
        &m,
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  x.bin\n",
    )
    .unwrap();
    let pubdir = tempfile::tempdir().unwrap();
    std::fs::write(pubdir.path().join("x.bin"), b"x").unwrap();
    let (code, report) = verify(&[
        "--published",
        pubdir.path().to_str().unwrap(),
        "--rebuilt",
        m.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{report}");
    let out = cw()
        .args(["verify", "rebuild", "--published", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_failing_rebuild_shows_its_first_error_and_its_last_lines() {
    let src = tempfile::tempdir().unwrap();
    let published = tempfile::tempdir().unwrap();
    std::fs::write(published.path().join("x.bin"), b"x").unwrap();
    // Like cargo: progress first, the error in the middle, then a long tail of notes.
    let command = "echo '   Compiling demo v0.1.0' >&2; \
                   echo 'error[E0425]: cannot find value `x` in this scope' >&2; \
                   for i in $(seq 1 30); do echo \"note line $i\" >&2; done; exit 3";
    let out = cw()
        .args(["verify", "rebuild", "--published"])
        .arg(published.path())
        .args(["--rebuild", command, "--source"])
        .arg(src.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("--rebuild command failed"), "{err}");
    assert!(
        err.contains("error[E0425]: cannot find value `x` in this scope"),
        "{err}"
    );
    assert!(err.contains("note line 30"), "{err}");
    assert!(!err.contains("note line 10\n"), "{err}");
}
