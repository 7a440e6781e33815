//! Lockfiles built to escape paths, drive the terminal or double findings: both lockfile
//! readers (the fast one for cargo's canonical layout, the general TOML one) refuse them alike.

use std::path::Path;

use super::refused;
use crate::common::data;

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// A lockfile in cargo's canonical layout (read by the fast reader) holding `name`.
fn canonical(name: &str) -> String {
    format!(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"{name}\",\n]\n\n[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n"
    )
}

/// The same content in a layout only the general reader takes (a comment inside a package).
fn general(name: &str) -> String {
    canonical(name).replace(
        "[[package]]\nname = \"app\"",
        "[[package]]\n# app\nname = \"app\"",
    )
}

fn audit_refuses(lock: &str, needles: &[&str]) -> String {
    let Some(db) = data("advisory-db") else {
        return String::new();
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Cargo.lock"), lock).unwrap();
    let cache = tmp.path().join("cache");
    let stderr = refused(
        [
            "audit".as_ref(),
            "--offline".as_ref(),
            "--lockfile-only".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            tmp.path().as_os_str(),
        ],
        needles,
    );
    assert!(!cache.exists());
    stderr
}

fn both_readers_refuse(name_in_toml: &str, needles: &[&str]) {
    let fast = audit_refuses(&canonical(name_in_toml), needles);
    let slow = audit_refuses(&general(name_in_toml), needles);
    // Same position (the name of the second package, one line lower in the general layout).
    assert!(fast.contains("Cargo.lock:11:8: package `"), "{fast}");
    assert!(slow.contains("Cargo.lock:12:8: package `"), "{slow}");
}

#[test]
fn path_escaping_names_are_refused_by_both_readers() {
    both_readers_refuse(
        "../../../../x",
        &["field `name`: not a valid registry crate name"],
    );
    both_readers_refuse("a\\\\b", &["field `name`: not a valid registry crate name"]);
}

#[test]
fn control_characters_are_refused_and_never_echoed_raw() {
    let stderr = audit_refuses(
        &general("app\\u001b[2J\\u001b[31mOWNED\\u0007"),
        &["field `name`", "app\\u{1b}[2J\\u{1b}[31mOWNED\\u{7}"],
    );
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
}

#[test]
fn non_ascii_names_are_refused_for_registry_packages_without_panic() {
    both_readers_refuse("crâte", &["not a valid registry crate name"]);
    both_readers_refuse("ｓｅｒｄｅ", &["not a valid registry crate name"]);
}

#[test]
fn duplicate_packages_are_refused_by_both_readers() {
    let entry = format!(
        "\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"{CRATES_IO}\"\n"
    );
    let lock = format!("version = 3\n{entry}{entry}");
    audit_refuses(
        &lock,
        &["Cargo.lock:8:1: package `smallvec 1.6.0` is listed twice (first at line 3)"],
    );
    // The general reader alone (a comment inside a package).
    let commented = entry.replace("name =", "# c\nname =");
    let lock = format!("version = 3\n{commented}{commented}");
    audit_refuses(
        &lock,
        &["Cargo.lock:9:1: package `smallvec 1.6.0` is listed twice (first at line 3)"],
    );
}

#[test]
fn cargo_lock_errors_are_one_located_line() {
    let lock = format!(
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"not-hex\"\n"
    );
    let stderr = audit_refuses(&lock, &["Cargo.lock:"]);
    let line = stderr.lines().find(|l| l.contains("Cargo.lock:")).unwrap();
    assert!(line.contains("not a valid Cargo.lock"), "{stderr}");
    assert!(
        !stderr.contains(" | "),
        "a multi-line TOML snippet leaked: {stderr}"
    );
}

#[test]
fn real_lockfiles_still_pass_both_readers() {
    let Some(root) = data("lockfiles") else {
        return;
    };
    for entry in std::fs::read_dir(root).unwrap() {
        let dir = entry.unwrap().path();
        let lock = dir.join("Cargo.lock");
        if !lock.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&lock).unwrap();
        let fast = chainwarden::inventory::Lockfile::parse(Path::new("Cargo.lock"), &text)
            .unwrap_or_else(|e| panic!("{}: {e}", lock.display()));
        let slow = chainwarden::inventory::Lockfile::parse_general(Path::new("Cargo.lock"), &text)
            .unwrap_or_else(|e| panic!("{}: {e}", lock.display()));
        assert_eq!(fast.packages, slow.packages, "{}", lock.display());
    }
}

#[test]
fn control_characters_in_a_source_are_refused() {
    let lock = canonical("serde").replace("crates.io-index\"", "crates.io-index\\u001b[2J\"");
    let stderr = audit_refuses(
        &lock,
        &["Cargo.lock:13:10: package `serde`: field `source`: holds control characters"],
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

/// Small deterministic mutations of a real lockfile (a line dropped, doubled or swapped, a
/// byte changed): the fast and the general reader must accept and refuse alike and read the
/// same packages. The cargo-fuzz target `lockfile_readers_agree` does this without bound.
#[test]
fn readers_agree_on_mutated_real_lockfiles() {
    let Some(dir) = data("lockfiles/real-ripgrep") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    const BYTES: &[u8] = b"\"\\ =#[]\n\t\x01\x1bxX0-_.+/";
    // More rounds (a longer hunt) with CHAINWARDEN_MUTATION_ROUNDS.
    let rounds = std::env::var("CHAINWARDEN_MUTATION_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(800);
    for round in 0..rounds {
        let mut mutated: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let i = next(mutated.len());
        match round % 4 {
            0 => {
                mutated.remove(i);
            }
            1 => mutated.insert(i, mutated[next(lines.len())].clone()),
            2 => {
                let j = next(mutated.len());
                mutated.swap(i, j);
            }
            _ => {
                let line = &mut mutated[i];
                let at = next(line.len() + 1);
                let b = BYTES[next(BYTES.len())] as char;
                if line.is_char_boundary(at) {
                    line.insert(at, b);
                }
            }
        }
        let candidate = mutated.join("\n") + "\n";
        let path = Path::new("Cargo.lock");
        let either = chainwarden::inventory::Lockfile::parse(path, &candidate);
        let general = chainwarden::inventory::Lockfile::parse_general(path, &candidate);
        match (&either, &general) {
            (Ok(a), Ok(b)) => assert_eq!(a.packages, b.packages, "round {round}"),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "round {round}: readers disagree (fast path: {:?}, general: {:?}) on line {i}: {:?}",
                either.as_ref().map(|l| l.fast_path).map_err(ToString::to_string),
                general.as_ref().map(|_| ()).map_err(ToString::to_string),
                mutated.get(i)
            ),
        }
    }
}
