//! The caches that make repeated audits fast: the resolved graph (default mode skips `cargo
//! metadata` when nothing it depends on changed) and the advisory index of an unmanaged `--db
//! DIR` (per-package stamps). Both must be used when valid, missed when an input changed, and
//! ignored — never trusted — when tampered with.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{cw, data, DbCopy};

const CACHED: &str = "cargo metadata not run: used the graph cached";

/// A workspace with a path dependency, locked offline (no registry needed).
fn project(root: &Path) -> PathBuf {
    let app = root.join("app");
    std::fs::create_dir_all(app.join("src")).unwrap();
    std::fs::create_dir_all(app.join("helper/src")).unwrap();
    std::fs::write(
        app.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nhelper = { path = \"helper\" }\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(app.join("src/lib.rs"), "").unwrap();
    std::fs::write(
        app.join("helper/Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(app.join("helper/src/lib.rs"), "").unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["generate-lockfile", "--offline", "--manifest-path"])
        .arg(app.join("Cargo.toml"))
        .status()
        .unwrap();
    assert!(status.success());
    app
}

fn audit(db: &Path, cache: &Path, project: &Path, extra: &[&str]) -> Value {
    let out = cw()
        .env("CHAINWARDEN_CACHE_DIR", cache)
        .args(["audit", "--offline", "--format", "json", "--db"])
        .arg(db)
        .args(extra)
        .arg(project)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["settings"]["mode"], "metadata", "{report}");
    report
}

fn used_cache(report: &Value) -> bool {
    report["notes"].to_string().contains(CACHED)
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache.join("graphs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn graph_cache_skips_cargo_metadata_until_an_input_changes() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let app = project(tmp.path());
    let cache = tmp.path().join("cache");
    let listing = |d: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let before = listing(&app);

    let first = audit(&db, &cache, &app, &[]);
    assert!(!used_cache(&first));
    let second = audit(&db, &cache, &app, &[]);
    assert!(used_cache(&second), "{}", second["notes"]);
    assert_eq!(
        first["inventory"], second["inventory"],
        "same graph from the cache"
    );
    assert_eq!(
        listing(&app),
        before,
        "nothing written into the audited project"
    );

    // Another target is another graph.
    assert!(!used_cache(&audit(
        &db,
        &cache,
        &app,
        &["--target", "x86_64-pc-windows-msvc"]
    )));
    // Editing a path dependency's manifest (not the lockfile) misses.
    let helper = app.join("helper/Cargo.toml");
    let text = std::fs::read_to_string(&helper).unwrap();
    std::fs::write(&helper, format!("{text}description = \"changed\"\n")).unwrap();
    assert!(!used_cache(&audit(&db, &cache, &app, &[])));
    assert!(used_cache(&audit(&db, &cache, &app, &[])));
}

#[test]
fn tampered_graph_cache_entries_are_recomputed_not_trusted() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let app = project(tmp.path());
    let cache = tmp.path().join("cache");
    let fresh = audit(&db, &cache, &app, &[]);
    let entry = entries(&cache).pop().unwrap();
    let good = std::fs::read(&entry).unwrap();

    // Garbage: ignored, recomputed and rewritten.
    std::fs::write(&entry, b"{not json").unwrap();
    let report = audit(&db, &cache, &app, &[]);
    assert!(!used_cache(&report));
    assert_eq!(report["inventory"], fresh["inventory"]);
    assert_eq!(std::fs::read(&entry).unwrap(), good, "rewritten");

    // Well-formed, right key, but an index outside the lockfile: ignored, no panic.
    let mut forged: Value = serde_json::from_slice(&good).unwrap();
    forged["deps"][0] = serde_json::json!([99999]);
    std::fs::write(&entry, serde_json::to_vec(&forged).unwrap()).unwrap();
    assert!(!used_cache(&audit(&db, &cache, &app, &[])));

    // Well-formed but for other inputs (another key): ignored.
    let mut foreign: Value = serde_json::from_slice(&good).unwrap();
    foreign["key"] = Value::String("0".repeat(64));
    std::fs::write(&entry, serde_json::to_vec(&foreign).unwrap()).unwrap();
    assert!(!used_cache(&audit(&db, &cache, &app, &[])));
}

#[test]
fn advisory_index_sees_a_new_advisory_for_a_locked_package() {
    let Some(copy) = DbCopy::new() else {
        return;
    };
    let db_copy = &copy.db;
    let ids = || copy.findings("advisory_id");
    let before = ids();
    assert_eq!(ids(), before, "same answer from the index");
    assert!(!before.iter().any(|i| i == "RUSTSEC-2099-0001"));
    // `fnv` (in the lockfile) had no advisory directory until now.
    let template =
        std::fs::read_to_string(db_copy.join("crates/smallvec/RUSTSEC-2021-0003.md")).unwrap();
    let versions = template.find("[versions]").unwrap();
    let end = template.get(versions..).unwrap().find("\n\n").unwrap() + versions;
    let advisory = format!(
        "{}[versions]\npatched = []{}",
        template.get(..versions).unwrap(),
        template.get(end..).unwrap()
    )
    .replace("RUSTSEC-2021-0003", "RUSTSEC-2099-0001")
    .replace("package = \"smallvec\"", "package = \"fnv\"")
    .replace("[affected]\nfunctions = { \"smallvec::SmallVec::insert_many\" = [\">= 0.6.3, < 0.6.14\", \">= 1.0.0, < 1.6.1\"] }\n", "");
    std::fs::create_dir_all(db_copy.join("crates/fnv")).unwrap();
    std::fs::write(db_copy.join("crates/fnv/RUSTSEC-2099-0001.md"), advisory).unwrap();
    let after = ids();
    assert!(after.iter().any(|i| i == "RUSTSEC-2099-0001"), "{after:?}");
    assert_eq!(after.len(), before.len() + 1);
}

/// An advisory edited in place (same file, so its directory's time does not change) is read
/// again: once with the same size and a new modification time, once with a new size and the
/// old time put back. Each stamp field alone must catch an edit.
#[test]
fn advisory_index_sees_an_advisory_edited_in_place() {
    let Some(copy) = DbCopy::new() else {
        return;
    };
    let title = || {
        let ids = copy.findings("advisory_id");
        let at = ids.iter().position(|i| i == "RUSTSEC-2021-0003").unwrap();
        copy.findings("title").swap_remove(at)
    };
    let advisory = copy.db.join("crates/smallvec/RUSTSEC-2021-0003.md");
    let dir_time = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let rewrite = |text: &str, time: std::time::SystemTime| {
        // Truncate and write the same inode: no new name in the directory.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&advisory)
            .unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f.set_modified(time).unwrap();
    };
    assert_eq!(title(), "Buffer overflow in SmallVec::insert_many");
    assert_eq!(
        title(),
        "Buffer overflow in SmallVec::insert_many",
        "from the index"
    );
    let original = std::fs::read_to_string(&advisory).unwrap();
    let old_time = dir_time(&advisory);
    let dir_before = dir_time(advisory.parent().unwrap());

    let same_size = original.replace("Buffer overflow in", "Buffer OVERFLOW in");
    assert_eq!(same_size.len(), original.len());
    rewrite(&same_size, old_time + std::time::Duration::from_secs(7));
    assert_eq!(title(), "Buffer OVERFLOW in SmallVec::insert_many");

    let longer = original.replace("Buffer overflow in", "Buffer overflow (edited) in");
    rewrite(&longer, old_time + std::time::Duration::from_secs(7));
    assert_eq!(title(), "Buffer overflow (edited) in SmallVec::insert_many");
    assert_eq!(
        dir_time(advisory.parent().unwrap()),
        dir_before,
        "edited in place: the package directory's time is unchanged"
    );
}

/// `crates/` replaced, after indexing, by a FIFO carrying the directory's modification time
/// (so the index key still matches): the audit fails with exit 2 naming the database, and
/// does not hang opening the FIFO to check the stamps.
#[test]
fn a_fifo_in_place_of_crates_is_refused_not_waited_on() {
    let Some(copy) = DbCopy::new() else {
        return;
    };
    assert!(!copy.findings("advisory_id").is_empty(), "indexed");
    let crates = copy.db.join("crates");
    let time = std::fs::metadata(&crates).unwrap().modified().unwrap();
    std::fs::rename(&crates, copy.db.join("crates.moved")).unwrap();
    crate::common::mkfifo(&crates);
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO with no writer to set its time must not block either.
        let fifo = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&crates)
            .unwrap();
        fifo.set_modified(time).unwrap();
    }
    let out = crate::common::offline_json_audit(&copy.cache, &copy.db)
        .arg(&copy.lock)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        crate::common::text(&out.stderr)
    );
    assert!(
        crate::common::text(&out.stderr).contains("no crates/ directory"),
        "{}",
        crate::common::text(&out.stderr)
    );
}

crate::on_both_backends!(
    the_inventory_memo_names_the_stored_inventory_until_the_resolution_changes
);

/// A recorded project with its store and cache, for the inventory memo's test.
struct Recorded {
    db: PathBuf,
    app: PathBuf,
    cache: PathBuf,
    store: PathBuf,
    backend: crate::common::Backend,
}

impl Recorded {
    /// A recorded metadata-mode audit; a time limit, so that a FIFO entry must be a miss at
    /// once and a hang fails instead of waiting.
    fn run(&self) -> std::process::Output {
        cw().env_remove("CHAINWARDEN_NO_RECORD")
            .env("CHAINWARDEN_CACHE_DIR", &self.cache)
            .env("CHAINWARDEN_EVIDENCE", &self.store)
            .args(["audit", "--offline", "--format", "json", "--db"])
            .arg(&self.db)
            .arg(&self.app)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap()
    }

    fn audit(&self) -> Value {
        let out = self.run();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["settings"]["mode"], "metadata");
        report
    }

    /// Each stored run's inventory digest, in chain order.
    fn stored(&self) -> Vec<String> {
        crate::common::as_owner(
            self.backend,
            &self.store,
            "SELECT inventory_sha256 FROM runs ORDER BY seq",
        )
        .lines()
        .map(String::from)
        .collect()
    }

    fn entries(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.cache.join("inventories"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }

    /// The digests the memo remembers, sorted.
    fn remembered(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .entries()
            .iter()
            .map(|p| {
                let entry: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
                entry["inventory_sha256"].as_str().unwrap().to_string()
            })
            .collect();
        v.sort();
        v
    }
}

/// The inventory memo (`<cache>/inventories`): a recorded audit of an unchanged project
/// references the inventory its store holds; a change that leaves the lockfile as it is but
/// changes the resolution (a dependency moved to `[dev-dependencies]`) is another inventory;
/// an entry naming a digest the store does not hold, or a FIFO, costs only the speed. The test
/// binary is a debug build, which serialises the inventory on every memo hit and fails (exit
/// 2) if the memo's digest is not the inventory's: every hit here checks the key, and one
/// entry is pointed at the wrong stored inventory to show that hits happen and are checked.
fn the_inventory_memo_names_the_stored_inventory_until_the_resolution_changes(
    backend: crate::common::Backend,
) {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = crate::common::evidence_store(backend, tmp.path()) else {
        return;
    };
    let r = Recorded {
        db,
        app: project(tmp.path()),
        cache: tmp.path().join("cache"),
        store,
        backend,
    };

    let first = r.audit();
    assert_eq!(
        r.remembered(),
        r.stored(),
        "the first run remembers its inventory"
    );
    let second = r.audit();
    assert!(used_cache(&second), "{}", second["notes"]);
    assert_eq!(first["inventory"], second["inventory"]);
    let runs = r.stored();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0], runs[1],
        "the second run references the same inventory"
    );

    // Same lockfile, other resolution: `helper` becomes a dev-dependency.
    let lock_before = std::fs::read(r.app.join("Cargo.lock")).unwrap();
    let manifest = r.app.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("[dependencies]", "[dev-dependencies]"),
    )
    .unwrap();
    let dev = r.audit();
    assert_eq!(
        std::fs::read(r.app.join("Cargo.lock")).unwrap(),
        lock_before
    );
    assert_ne!(dev["inventory"], first["inventory"]);
    let runs = r.stored();
    assert_ne!(runs[2], runs[0], "another resolution, another inventory");
    assert_eq!(r.remembered().len(), 2);
    assert!(r.remembered().contains(&runs[2]));

    a_wrong_stored_digest_is_caught_by_a_debug_build(&r, &runs[2], &runs[0]);

    // An entry naming a digest the store does not hold: the inventory is computed, stored
    // as before, and the entry corrected.
    for path in r.entries() {
        let text = std::fs::read_to_string(&path).unwrap();
        let entry: Value = serde_json::from_str(&text).unwrap();
        let digest = entry["inventory_sha256"].as_str().unwrap();
        std::fs::write(&path, text.replace(digest, &"0".repeat(64))).unwrap();
    }
    r.audit();
    let runs = r.stored();
    assert_eq!(runs[3], runs[2]);
    assert!(r.remembered().contains(&runs[2]), "the entry was corrected");

    // A FIFO in place of every entry: a miss at once (the run would hang on a plain open).
    for path in r.entries() {
        std::fs::remove_file(&path).unwrap();
        crate::common::mkfifo(&path);
    }
    r.audit();
    assert_eq!(r.stored()[4], runs[2]);
}

/// The memo is used, and its key checked: an entry naming another inventory the store holds
/// (`other`, instead of `current`) stops a debug build with an internal error instead of
/// recording it. A release build trusts the cache directory, as it trusts the graph cache
/// beside it, so this is a debug-build check.
fn a_wrong_stored_digest_is_caught_by_a_debug_build(r: &Recorded, current: &str, other: &str) {
    if !cfg!(debug_assertions) {
        return;
    }
    let entry = r
        .entries()
        .into_iter()
        .find(|p| std::fs::read_to_string(p).unwrap().contains(current))
        .unwrap();
    let text = std::fs::read_to_string(&entry).unwrap();
    std::fs::write(&entry, text.replace(current, other)).unwrap();
    let before = r.stored().len();
    let out = r.run();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("internal error"), "{err}");
    assert_eq!(r.stored().len(), before, "nothing recorded");
    std::fs::write(&entry, text).unwrap();
}
